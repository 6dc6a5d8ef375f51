import type { ModelConfig } from '../config/types.js';
import type { EventInput, Usage } from '../engine/events.js';

/**
 * An executor runs one task turn-by-turn against a model and reports what
 * happens as canonical events through `emit`. It never writes to the store
 * itself and never decides the task's final state: the engine does.
 */
export interface Executor {
  /**
   * Runs until the model gives a final answer, the loop limit is reached, or
   * `signal` aborts. On abort it stops the model call at once, closes any open
   * message or reasoning with what arrived so far (partial output is kept),
   * and rejects with the signal's reason. Other failures reject with an
   * `ExecutorError` carrying a message fit to show a client.
   */
  run(request: RunRequest): Promise<RunResult>;
}

export type ContentPart =
  | { type: 'text'; text: string }
  /** `url` is a `data:` URL or an http(s) URL the model server fetches itself. */
  | { type: 'image'; url: string };

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | ContentPart[] }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[]; reasoning?: string }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ToolCall {
  id: string;
  name: string;
  /** The JSON text of the arguments, as sent back to the model. */
  arguments: string;
}

export interface Tool {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  run(args: Record<string, unknown>, ctx: { signal: AbortSignal }): Promise<unknown>;
}

export interface RunRequest {
  taskId: string;
  model: ModelConfig;
  /** System prompt, history and the new user input, in order. */
  messages: ChatMessage[];
  tools: Tool[];
  /** Most model turns in the tool loop. */
  maxLoops: number;
  /** Whether to ask the model for visible reasoning (per-model `reasoning_params`). */
  reasoning: boolean;
  /** When set, ask for JSON matching this schema and return it parsed as `outputs`. */
  outputSchema?: Record<string, unknown>;
  signal: AbortSignal;
  /** Appends one event to the task's log; awaited so the log keeps the order. */
  emit(event: EventInput): Promise<void>;
  /**
   * User messages sent into the run since it last asked (guidance), asked
   * before every model turn: they join the history there, in order, and the
   * result's `messages`. Executors of one turn may leave it unasked.
   */
  takeInput?(): Promise<ChatMessage[]>;
}

export interface RunResult {
  /** The final answer's text. */
  text: string;
  /** Parsed and schema-checked JSON when `outputSchema` was given. */
  outputs?: unknown;
  /** Summed over every turn. */
  usage?: Usage;
  /** Messages this run added (assistant turns, tool results, user messages it took in) for the conversation history. */
  messages: ChatMessage[];
  toolCalls: number;
  turns: number;
}

export class ExecutorError extends Error {
  constructor(
    message: string,
    readonly code: 'upstream' | 'timeout' | 'invalid_output' | 'loop_limit' | 'tool' = 'upstream',
  ) {
    super(message);
    this.name = 'ExecutorError';
  }
}
