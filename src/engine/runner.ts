import type { Config, ModelConfig } from '../config/types.js';
import type { ChatMessage, Executor, Tool } from '../executors/executor.js';
import type { Logger } from '../log.js';
import { FenceLostError, LogClosedError, type Fence, type Store } from '../store/store.js';
import type { Conversations, NewMessage } from './conversations.js';
import type { Directory } from './directory.js';
import type { EventInput } from './events.js';
import { EngineError } from './errors.js';
import type { FileRef, Principal, Task } from './records.js';
import type { Guidance, GuidanceQueue } from './guidance.js';
import { newId } from './ids.js';
import type { Workspace } from './workspace.js';
import { updateRecord } from './record-update.js';
import { buildPrompt } from './prompt.js';
import { ownerOf, recordInput } from './task-input.js';
import { conversationKey } from './conversation-keys.js';
import { ACTIVE_TASKS, TASK, cancelFlag, conversationSlot, finishTask, isFinal, queueOf, runLease, slotLease, slotsOf, type Outcome } from './task-finish.js';

/** Why a run was aborted; the reason decides the final state. */
export const CANCEL = 'cancelled by request';
export const SHUTDOWN = 'interrupted: the gateway is shutting down';
export const LEASE_LOST = 'interrupted: this gateway lost the task lease';
export const CANCEL_CHANNEL = 'cancel';
export const SLOT_CHANNEL = 'slot-freed';

export interface RunnerDeps {
  store: Store;
  config: Config;
  directory: Directory;
  conversations: Conversations;
  guidance: GuidanceQueue;
  workspace: Workspace;
  executorFor(model: ModelConfig): Executor;
  toolsFor(names: string[]): Tool[];
  logger: Logger;
  instanceId: string;
}

interface LocalRun {
  task: Task;
  controller: AbortController;
  done: Promise<void>;
  /** Wakes a run queued behind another task of its conversation. */
  wake?: () => void;
}

/**
 * Runs this instance's tasks. Each run holds a lease renewed by a heartbeat
 * (one timer per running task, none per stream), listens for cancellation
 * through the store so a cancel from any instance reaches the model call, and
 * ends its task exactly once through `finishTask`.
 */
export class TaskRunner {
  private readonly runs = new Map<string, LocalRun>();
  /** Runs waiting for their conversation's slot, by `conversationKey`: what a `slot-freed` signal wakes. */
  private readonly waiting = new Map<string, Set<LocalRun>>();
  private readonly unlisten: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.unlisten.push(deps.store.listen(CANCEL_CHANNEL, (taskId) => this.runs.get(taskId)?.controller.abort(CANCEL)));
    this.unlisten.push(
      deps.store.listen(SLOT_CHANNEL, (freed) => {
        for (const run of this.waiting.get(freed) ?? []) run.wake?.();
      }),
    );
  }

  get activeCount(): number {
    return this.runs.size;
  }

  start(task: Task): void {
    const controller = new AbortController();
    const run: LocalRun = { task, controller, done: Promise.resolve() };
    this.runs.set(task.id, run);
    run.done = this.execute(run)
      .catch((err: unknown) => this.deps.logger.error({ err, taskId: task.id }, 'task runner failed'))
      .finally(() => this.runs.delete(task.id));
  }

  /** Resolves when the task (if run here) has ended. */
  async settled(taskId: string): Promise<void> {
    await this.runs.get(taskId)?.done;
  }

  /**
   * Stops taking signals, gives the local runs `graceMs` to end on their own,
   * then aborts the rest (they end as failed with a "shutting down" error) and
   * waits for them to record that.
   */
  async stop(graceMs: number): Promise<void> {
    for (const stop of this.unlisten) stop();
    const all = () => Promise.all([...this.runs.values()].map((r) => r.done));
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    for (const run of this.runs.values()) run.controller.abort(SHUTDOWN);
    await all();
  }

  private async execute(run: LocalRun): Promise<void> {
    const { store, config, logger } = this.deps;
    const { task, controller } = run;
    const heartbeat = setInterval(() => void this.beat(run), Math.max(100, Math.floor(config.engine.lease_ms / 3)));
    heartbeat.unref();
    const emitted = { text: '' };
    /** Guidance the run took in: kept even when the run ends without an answer. */
    const taken: Guidance[] = [];
    let outcome: Outcome;
    try {
      if ((task.concurrency ?? config.engine.concurrency) === 'enqueue') await this.waitForSlot(run);
      const started = await updateRecord<Task>(store, TASK, task.id, (t) =>
        t.state === 'pending' && !t.cancelRequested ? { ...t, state: 'running', startedAt: Date.now() } : undefined,
      );
      if (!started?.changed) throw new Error(CANCEL);
      if (started.value.input.rerun) await this.rewind(started.value);
      else await recordInput(this.deps.conversations, started.value);
      outcome = await this.runExecutor(started.value, controller.signal, emitted, taken);
    } catch (err) {
      outcome = this.failureOutcome(err, controller.signal);
      if (outcome.state === 'failed' && !controller.signal.aborted) logger.warn({ taskId: task.id, error: outcome.error }, 'task failed');
    } finally {
      clearInterval(heartbeat);
    }
    try {
      // A run that lost its lease writes nothing more: the task is someone else's to end.
      if (outcome.state !== 'succeeded' && outcome.error !== LEASE_LOST) {
        // What the user said and the partial answer are kept when they can be; a conversation deleted meanwhile must not keep the task from ending.
        const keep = [
          ...taken.map((g) => guidanceMessage(task, g)),
          ...(emitted.text ? [{ role: 'assistant' as const, content: emitted.text, taskId: task.id }] : []),
        ];
        for (const message of keep) {
          await this.deps.conversations
            .addMessage(ownerOf(task), task.conversationId, message)
            .catch((err: unknown) => logger.warn({ err, taskId: task.id }, 'could not keep what the run had so far'));
        }
      }
      const { event_log_cap: eventLogCap, retention_seconds: retentionSeconds } = config.engine;
      await finishTask(store, task, outcome, { eventLogCap, retentionSeconds, fence: this.fenceOf(task) }).catch((err: unknown) => {
        // Another instance took the task over (its lease lapsed here) or ended it: the ending is theirs.
        if (!(err instanceof FenceLostError || err instanceof LogClosedError)) throw err;
        logger.warn({ taskId: task.id, reason: err.message }, 'task run stopped: this instance no longer owns it');
      });
    } finally {
      await store.release(runLease(task.id), this.deps.instanceId);
      // Scoped like the slot, so only runs of this very conversation wake up.
      await store.publish(SLOT_CHANNEL, conversationKey(task));
    }
  }

  /** A rerun answers the conversation's last user message again: what followed it goes. */
  private async rewind(task: Task): Promise<void> {
    const last = await this.deps.conversations.rewindToLastUser(ownerOf(task), task.conversationId);
    if (!last) throw new Error('the conversation has no user message to answer again');
  }

  private async runExecutor(task: Task, signal: AbortSignal, emitted: { text: string }, taken: Guidance[]): Promise<Outcome> {
    const { store, config, directory, conversations } = this.deps;
    const owner = ownerOf(task);
    const agent = await directory.getAgent(owner, task.agentId);
    const configured = config.models.find((m) => m.name === task.model);
    if (!configured) throw new Error(`model "${task.model}" is no longer configured`);
    const sampling = task.overrides?.sampling;
    const model = sampling ? { ...configured, params: { ...configured.params, ...sampling } } : configured;
    const emit = async (event: EventInput) => {
      // Keep the text of the latest answer so a cancelled or failed run still saves what it said.
      if (event.type === 'message.started') emitted.text = '';
      if (event.type === 'message.delta') emitted.text += event.data.text;
      if (event.type === 'message.completed') emitted.text = event.data.text;
      await store.append(task.id, event, config.engine.event_log_cap, this.fenceOf(task));
    };
    await emit({ type: 'task.started', data: { taskId: task.id, agentId: task.agentId, model: task.model } });

    const history = await conversations.messages(owner, task.conversationId);
    const messages: ChatMessage[] = await buildPrompt(agent, history, task, (file) => this.imageUrl(owner, file));
    // The guidance behind each user message the executor took in, to store it with its metadata.
    const guidanceOf = new WeakMap<ChatMessage, Guidance>();
    const takeInput = async (): Promise<ChatMessage[]> => {
      const items = await this.deps.guidance.take(owner, task.conversationId);
      const out: ChatMessage[] = [];
      for (const g of items) {
        taken.push(g);
        await emit({ type: 'input.added', data: { messageId: newId('msg'), text: g.content, meta: guidanceMeta(g) } });
        const message: ChatMessage = { role: 'user', content: g.content };
        guidanceOf.set(message, g);
        out.push(message);
      }
      return out;
    };
    const result = await this.deps.executorFor(model).run({
      taskId: task.id,
      model,
      messages,
      tools: this.deps.toolsFor(task.overrides?.tools ?? agent.tools),
      maxLoops: task.maxLoops,
      reasoning: task.reasoning,
      // Ability-style tasks (structured inputs) answer in the agent's output schema; chat turns in free text.
      outputSchema: task.input.values ? agent.outputs : undefined,
      signal,
      emit,
      takeInput,
    });
    // Stored now, in the run's order; guidance the run took stays kept (above) if this fails part-way.
    taken.length = 0;
    for (const message of result.messages) {
      if (message.role === 'system') continue;
      if (message.role === 'user') {
        const g = guidanceOf.get(message);
        if (g) await conversations.addMessage(owner, task.conversationId, guidanceMessage(task, g));
        continue;
      }
      await conversations.addMessage(owner, task.conversationId, {
        role: message.role,
        content: message.content,
        taskId: task.id,
        ...(message.role === 'assistant' ? { reasoning: message.reasoning, toolCalls: message.toolCalls } : { toolCallId: message.toolCallId }),
      });
    }
    return { state: 'succeeded', outputs: result.outputs, usage: result.usage, totals: { turns: result.turns, toolCalls: result.toolCalls } };
  }

  /** An image a message points to, as the `data:` URL the model takes; `undefined` once the file is gone. */
  private async imageUrl(owner: Principal, file: FileRef): Promise<string | undefined> {
    const opened = await this.deps.workspace.open(owner, file.path, file.area).catch((err: unknown) => {
      if (err instanceof EngineError && err.code === 'not_found') return undefined;
      throw err;
    });
    if (!opened) return undefined;
    const chunks: Buffer[] = [];
    for await (const piece of opened.stream) chunks.push(piece as Buffer);
    return `data:${file.mediaType};base64,${Buffer.concat(chunks).toString('base64')}`;
  }

  private failureOutcome(err: unknown, signal: AbortSignal): Outcome {
    // The store refused a write: this run is no longer the task's (the finish will be refused too).
    if (err instanceof FenceLostError || err instanceof LogClosedError) return { state: 'failed', error: LEASE_LOST };
    if (signal.aborted) {
      const reason = String(signal.reason);
      return reason === CANCEL ? { state: 'cancelled' } : { state: 'failed', error: reason };
    }
    const message = err instanceof Error ? err.message : String(err);
    return message === CANCEL ? { state: 'cancelled' } : { state: 'failed', error: message };
  }

  /**
   * Renews the leases this run holds, moves its reaper deadline on, and picks
   * up a cancel requested through any instance. It never reads or rewrites the
   * task record: a heartbeat costs the same whatever the task holds.
   */
  private async beat(run: LocalRun): Promise<void> {
    const { store, config, instanceId } = this.deps;
    const id = run.task.id;
    try {
      if (!(await store.renew(runLease(id), instanceId, config.engine.lease_ms))) {
        run.controller.abort(LEASE_LOST);
        return;
      }
      await store.indexAdd(ACTIVE_TASKS, id, Date.now() + config.engine.lease_ms);
      for (const slot of slotsOf(run.task)) await store.renew(slot, id, config.engine.lease_ms);
      if (await store.holder(cancelFlag(id))) run.controller.abort(CANCEL);
      run.wake?.();
    } catch (err) {
      this.deps.logger.warn({ err, taskId: id }, 'task heartbeat failed');
    }
  }

  /**
   * Takes a task out of the head of the line when it will never run: its
   * record is gone or final, and it has no runner (a create or a run that
   * died between its steps). Without this a phantom would block the line.
   */
  private async dropPhantom(task: Task, headId: string): Promise<boolean> {
    const { store } = this.deps;
    if (await store.holder(runLease(headId))) return false;
    const head = (await store.get<Task>(TASK, headId))?.value;
    if (head && !isFinal(head)) return false;
    await store.indexRemove(queueOf(task), headId);
    return true;
  }

  /** Every write of a run is fenced by its lease: once the lease is lost, the store refuses them. */
  private fenceOf(task: Task): Fence {
    return { lease: runLease(task.id), owner: this.deps.instanceId };
  }

  /** Waits until this task is first in its conversation's line and holds the slot. */
  private async waitForSlot(run: LocalRun): Promise<void> {
    const { store, config } = this.deps;
    const { task, controller } = run;
    // One abort listener for the whole wait (not one per round), waking whichever round is waiting.
    const onAbort = () => run.wake?.();
    controller.signal.addEventListener('abort', onAbort, { once: true });
    const key = conversationKey(task);
    let line = this.waiting.get(key);
    if (!line) this.waiting.set(key, (line = new Set()));
    line.add(run);
    try {
      for (;;) {
        if (controller.signal.aborted) throw new Error(String(controller.signal.reason));
        const { members } = await store.indexRange(queueOf(task), { offset: 0, limit: 1 });
        if (members[0] !== undefined && members[0] !== task.id && (await this.dropPhantom(task, members[0]))) continue;
        if (members[0] === task.id && (await store.acquire(slotLease(conversationSlot(task)), task.id, config.engine.lease_ms))) return;
        await new Promise<void>((resolve) => (run.wake = resolve));
      }
    } finally {
      run.wake = undefined;
      controller.signal.removeEventListener('abort', onAbort);
      line.delete(run);
      if (line.size === 0 && this.waiting.get(key) === line) this.waiting.delete(key);
    }
  }


}

/** What a guidance message's user message carries: the client's metadata and the guidance id. */
const guidanceMeta = (g: Guidance): Record<string, unknown> => ({ ...g.meta, guidance_id: g.id });

function guidanceMessage(task: Task, g: Guidance): NewMessage {
  return { role: 'user', content: g.content, taskId: task.id, meta: guidanceMeta(g) };
}
