import type { TaskEvent } from '../../engine/events.js';
import { assertNever } from '../../engine/events.js';
import { isoTime } from './times.js';

/** The document's step statuses: waiting → running → ok | fail | abandoned. */
export type StepStatus = 'waiting' | 'running' | 'ok' | 'fail' | 'abandoned';

/** One SSE frame of the task stream: a named event with JSON or plain-text data. */
export interface Frame {
  event: 'step' | 'step-event' | 'thinking' | 'message' | 'error' | 'card' | 'close';
  data: unknown;
}

/** A file as the space view and step events list it. */
export interface SpaceFile {
  id: string;
  origin: 'task' | 'upload';
  name: string;
  desc: string | null;
  text_content: string | null;
  size: number;
  url?: string;
}

export interface StepNode {
  step_id: string;
  index: number;
  parent_id: string | null;
  kind: 'model' | 'tool';
  activity_name: string;
  activity_icon: string;
  purpose: string;
  status: StepStatus;
  message: string | null;
  outputs: unknown;
  files: SpaceFile[];
  started_at: string;
  ended_at: string | null;
  children: StepNode[];
}

export interface Memo {
  id: string;
  type: 'thinking' | 'message' | 'error' | 'card';
  content: unknown;
}

const TOOL_ICONS: Record<string, string> = { calculator: '🧮', current_time: '🕒' };

/**
 * Turns a task's canonical events into this API's view of it: steps (one per
 * model turn, opened when the turn starts producing, and one per tool call),
 * their updates, the plain-text thinking and message deltas, errors and
 * cards. The same instance also collects the step tree, memos and files for
 * the space view. Ids are `<task id>.step_<offset>` and `<task id>.memo_<offset>`.
 * It holds state (step numbering), so a resumed stream
 * feeds it every event from the start and writes only the new frames.
 */
export class StepTracker {
  readonly steps: StepNode[] = [];
  readonly memos: Memo[] = [];
  readonly files: SpaceFile[] = [];
  /** The text of the last completed answer (the outputs of abilities without an output schema). */
  lastAnswer = '';
  private model: StepNode | undefined;
  private lastModel: StepNode | undefined;
  private readonly tools = new Map<string, StepNode>();
  private modelName = '';
  private turns = 0;
  /** A model turn reported its usage (its end) since the last tool call started. */
  private turnEndedSinceTool = false;

  /** `taskId` scopes step and memo ids, so they stay unique across the tasks of a session. */
  constructor(private readonly taskId: string) {}

  /** The frames one event adds, in order (possibly none). */
  apply(event: TaskEvent): Frame[] {
    switch (event.type) {
      case 'task.started':
        this.modelName = event.data.model;
        return this.model ? [] : this.openModel(event);
      case 'reasoning.started':
      case 'message.started':
        return this.model ? [] : this.openModel(event);
      case 'reasoning.delta':
        return event.data.text ? [{ event: 'thinking', data: event.data.text }] : [];
      case 'reasoning.completed':
        if (event.data.text) this.memos.push({ id: this.id('memo', event), type: 'thinking', content: event.data.text });
        return [];
      case 'message.delta':
        return event.data.text ? [{ event: 'message', data: event.data.text }] : [];
      case 'message.completed':
        this.lastAnswer = event.data.text;
        if (event.data.text) this.memos.push({ id: this.id('memo', event), type: 'message', content: event.data.text });
        return [];
      case 'tool.started': {
        // A turn that only called tools opened no step; its usage report shows it happened.
        const silentTurn = !this.model && this.turnEndedSinceTool ? [...this.openModel(event, 'm'), ...this.closeModel(event, 'ok')] : [];
        this.turnEndedSinceTool = false;
        return [...silentTurn, ...this.closeModel(event, 'ok'), ...this.openTool(event)];
      }
      case 'tool.progress': {
        const step = this.tools.get(event.data.callId);
        if (!step) return [];
        step.message = event.data.text;
        return [stepEvent(step, { message: event.data.text })];
      }
      case 'tool.completed': {
        const step = this.tools.get(event.data.callId);
        if (!step) return [];
        this.tools.delete(event.data.callId);
        const { status, result } = event.data;
        const message = status === 'error' ? String(result) : status === 'cancelled' ? 'cancelled' : null;
        return [this.close(step, event, status === 'ok' ? 'ok' : status === 'error' ? 'fail' : 'abandoned', { message, outputs: asOutputs(result) })];
      }
      case 'usage':
        this.turnEndedSinceTool = true;
        return [];
      case 'input.added':
        // No step of its own: the user's words are not a step of the run.
        return [];
      case 'card': {
        const card = cardOf(event.data.kind, event.data.content);
        this.memos.push({ id: this.id('memo', event), type: 'card', content: card });
        return [{ event: 'card', data: card }];
      }
      case 'file.created': {
        const opened = this.current() ? [] : this.openModel(event);
        const step = this.current()!;
        const file: SpaceFile = { id: event.data.path, origin: 'task', name: event.data.name, desc: null, text_content: null, size: event.data.size };
        step.files.push(file);
        this.files.push(file);
        return [...opened, stepEvent(step, { files: [file] })];
      }
      case 'error':
        this.memos.push({ id: this.id('memo', event), type: 'error', content: event.data.message });
        return [{ event: 'error', data: event.data.message }];
      case 'task.finished': {
        const { state, error } = event.data;
        const frames: Frame[] = [];
        for (const step of [...this.tools.values()]) frames.push(this.close(step, event, state === 'cancelled' ? 'abandoned' : 'fail', { message: error ?? null }));
        this.tools.clear();
        const status: StepStatus = state === 'succeeded' ? 'ok' : state === 'failed' ? 'fail' : 'abandoned';
        const outputs = state === 'succeeded' ? (event.data.outputs ?? { text: this.lastAnswer }) : null;
        frames.push(...this.closeModel(event, status, { message: error ?? null, outputs }));
        return frames;
      }
      default:
        return assertNever(event);
    }
  }

  /** `suffix` tells apart two steps opened by one event. */
  private id(kind: 'step' | 'memo', event: TaskEvent, suffix = ''): string {
    return `${this.taskId}.${kind}_${event.offset}${suffix}`;
  }

  /** The step tree: model turns at the top, each with the tool calls it made. */
  tree(): StepNode[] {
    return this.steps.filter((step) => step.parent_id === null);
  }

  /** The innermost open step (a running tool call, else the open model turn), else the last step. */
  private current(): StepNode | undefined {
    return [...this.tools.values()].at(-1) ?? this.model ?? this.steps.at(-1);
  }

  private openModel(event: TaskEvent, suffix = ''): Frame[] {
    this.turns++;
    const model = this.modelName ? ` with ${this.modelName}` : '';
    const step = this.open(event, {
      kind: 'model',
      parent_id: null,
      activity_name: `Model turn ${this.turns}`,
      activity_icon: '🧠',
      purpose: this.turns === 1 ? `Work on the task${model}` : `Continue with the tool results${model}`,
    }, suffix);
    this.model = step;
    this.lastModel = step;
    return [stepFrame(step), stepEvent(step, {})];
  }

  private openTool(event: Extract<TaskEvent, { type: 'tool.started' }>): Frame[] {
    const { name, callId } = event.data;
    const step = this.open(event, {
      kind: 'tool',
      parent_id: this.lastModel?.step_id ?? null,
      activity_name: name,
      activity_icon: TOOL_ICONS[name] ?? '🛠️',
      purpose: `Call ${name} with ${clip(JSON.stringify(event.data.arguments ?? {}), 200)}`,
    });
    this.tools.set(callId, step);
    return [stepFrame(step), stepEvent(step, {})];
  }

  private open(event: TaskEvent, fields: Pick<StepNode, 'kind' | 'parent_id' | 'activity_name' | 'activity_icon' | 'purpose'>, suffix = ''): StepNode {
    const step: StepNode = {
      step_id: this.id('step', event, suffix),
      index: this.steps.length + 1,
      ...fields,
      status: 'running',
      message: null,
      outputs: null,
      files: [],
      started_at: isoTime(event.ts),
      ended_at: null,
      children: [],
    };
    this.steps.push(step);
    if (step.parent_id) this.steps.find((s) => s.step_id === step.parent_id)?.children.push(step);
    return step;
  }

  private closeModel(event: TaskEvent, status: StepStatus, change: { message?: string | null; outputs?: unknown } = {}): Frame[] {
    const step = this.model;
    if (!step) return [];
    this.model = undefined;
    return [this.close(step, event, status, change)];
  }

  private close(step: StepNode, event: TaskEvent, status: StepStatus, change: { message?: string | null; outputs?: unknown }): Frame {
    step.status = status;
    step.ended_at = isoTime(event.ts);
    if (change.message !== undefined) step.message = change.message;
    if (change.outputs !== undefined) step.outputs = change.outputs;
    return stepEvent(step, { message: change.message ?? null, outputs: change.outputs ?? null });
  }
}

function stepFrame(step: StepNode): Frame {
  const { step_id, index, parent_id, activity_name, activity_icon, purpose } = step;
  return { event: 'step', data: { step_id, index, parent_id, activity_name, activity_icon, purpose, status: 'waiting' } };
}

/** A step update with every field of the document present, so clients can read any of them. */
function stepEvent(step: StepNode, change: { message?: string | null; outputs?: unknown; files?: SpaceFile[] }): Frame {
  return {
    event: 'step-event',
    data: {
      step_id: step.step_id,
      status: step.status,
      message: change.message ?? null,
      screenshots: [],
      outputs: change.outputs ?? null,
      datas: [],
      files: change.files ?? [],
      labels: [],
    },
  };
}

/** Tool results as step outputs: objects as they are, anything else under `result`. */
function asOutputs(result: unknown): unknown {
  if (result === undefined || result === null) return null;
  return typeof result === 'object' && !Array.isArray(result) ? result : { result };
}

/** A canonical card in the document's `{title, style, body, actions}` shape. */
function cardOf(kind: string, content: unknown) {
  const fields = typeof content === 'object' && content !== null && !Array.isArray(content) ? (content as Record<string, unknown>) : undefined;
  const shaped = fields && ['title', 'style', 'body', 'actions'].some((key) => key in fields);
  return {
    title: shaped && typeof fields.title === 'string' ? fields.title : kind,
    style: shaped && typeof fields.style === 'string' ? fields.style : kind,
    body: shaped ? (fields.body ?? null) : content,
    actions: shaped && Array.isArray(fields.actions) ? fields.actions : [],
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
