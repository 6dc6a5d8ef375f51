import type { ModelConfig } from '../../src/config/types.js';
import type { EventInput } from '../../src/engine/events.js';
import type { ChatMessage, Executor, RunRequest, RunResult, Tool } from '../../src/executors/executor.js';
import { createExecutor } from '../../src/executors/registry.js';

/** An openai model pointed at a local test server, with test-friendly limits. */
export function openaiModel(url: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'test-model',
    kind: 'openai',
    base_url: url,
    stream_usage: true,
    non_streaming_tools: false,
    send_reasoning: false,
    inline_tool_calls: true,
    timeout_ms: 10_000,
    stall_timeout_ms: 5_000,
    max_retries: 2,
    ...overrides,
  };
}

export interface RunOptions {
  model: ModelConfig;
  input?: string;
  messages?: ChatMessage[];
  tools?: Tool[];
  maxLoops?: number;
  reasoning?: boolean;
  outputSchema?: Record<string, unknown>;
  signal?: AbortSignal;
  /** Called after each event is recorded (to abort at a chosen moment, for example). */
  onEvent?: (event: EventInput) => void;
  executor?: Executor;
}

export interface Outcome {
  events: EventInput[];
  result?: RunResult;
  error?: unknown;
}

/** Runs one request and records every event; never throws (the failure is in `error`). */
export async function run(options: RunOptions): Promise<Outcome> {
  const events: EventInput[] = [];
  const request: RunRequest = {
    taskId: 'task-1',
    model: options.model,
    messages: options.messages ?? [
      { role: 'system', content: 'You are a test agent.' },
      { role: 'user', content: options.input ?? 'Hello' },
    ],
    tools: options.tools ?? [],
    maxLoops: options.maxLoops ?? 5,
    reasoning: options.reasoning ?? false,
    signal: options.signal ?? new AbortController().signal,
    emit: async (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
    ...(options.outputSchema ? { outputSchema: options.outputSchema } : {}),
  };
  const executor = options.executor ?? createExecutor(options.model);
  try {
    return { events, result: await executor.run(request) };
  } catch (error) {
    return { events, error };
  }
}

type DataOf<T extends EventInput['type']> = Extract<EventInput, { type: T }>['data'];

/** The events of one type, with their data. */
export function ofType<T extends EventInput['type']>(events: EventInput[], type: T): DataOf<T>[] {
  return events.filter((e) => e.type === type).map((e) => e.data as DataOf<T>);
}

/** The event types in order, for sequence assertions. */
export function types(events: EventInput[]): string[] {
  return events.map((e) => e.type);
}

/** Concatenated deltas of one kind. */
export function streamed(events: EventInput[], kind: 'message' | 'reasoning'): string {
  return events
    .filter((e) => e.type === `${kind}.delta`)
    .map((e) => (e.data as { text: string }).text)
    .join('');
}

/** A tool that records the arguments it was called with and answers with `answer`. */
export function recordingTool(
  name: string,
  parameters: Record<string, unknown>,
  answer: unknown = 'ok',
): Tool & { calls: Record<string, unknown>[] } {
  const calls: Record<string, unknown>[] = [];
  return {
    name,
    description: `test tool ${name}`,
    parameters,
    calls,
    run(args) {
      calls.push(args);
      return Promise.resolve(answer);
    },
  };
}
