import { randomUUID } from 'node:crypto';
import type { Config, ModelConfig } from '../config/types.js';
import type { EventInput } from '../engine/events.js';
import { ExecutorError, type ChatMessage, type Executor, type RunRequest } from './executor.js';
import { createExecutor } from './registry.js';

/**
 * One model call outside any task: a system prompt and one user message in,
 * the answer text out. Used for small helper jobs (rewriting a draft,
 * drafting an agent's prompt) that have no conversation, no tools and no
 * event log. It goes through the configured executor, so the model's limits,
 * retries, `<think>` splitting and the offline demo model all apply; the
 * answer never contains reasoning.
 */
export interface OneShotRequest {
  system?: string;
  user: string;
  /** A configured model name; the configured default when omitted. */
  model?: string;
  /** Aborting stops the model call at once; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface OneShotDeps {
  config: Pick<Config, 'models' | 'default_model'>;
  /** Which executor runs a model; the registry's by default (tests may pass their own). */
  executorFor?: (model: ModelConfig) => Executor;
}

/** The configured model by name (the default when omitted). Throws an ExecutorError for an unknown name. */
export function oneShotModel(config: OneShotDeps['config'], name?: string): ModelConfig {
  const wanted = name ?? config.default_model;
  const model = config.models.find((m) => m.name === wanted);
  if (!model) {
    throw new ExecutorError(
      `unknown model "${wanted}"; configured models: ${config.models.map((m) => m.name).join(', ')}`,
    );
  }
  return model;
}

/** The whole answer text. Rejects with an ExecutorError (message fit for a client) or the abort reason. */
export async function oneShot(deps: OneShotDeps, request: OneShotRequest): Promise<string> {
  const model = oneShotModel(deps.config, request.model);
  const executor = (deps.executorFor ?? createExecutor)(model);
  const signal = request.signal ?? new AbortController().signal;
  // The result's text, not the summed deltas: it has reasoning that arrived as answer text taken out.
  const result = await executor.run(runRequest(model, request, signal, async () => undefined));
  return result.text.trim();
}

function runRequest(
  model: ModelConfig,
  request: OneShotRequest,
  signal: AbortSignal,
  emit: (event: EventInput) => Promise<void>,
): RunRequest {
  const messages: ChatMessage[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  messages.push({ role: 'user', content: request.user });
  return { taskId: `oneshot_${randomUUID()}`, model, messages, tools: [], maxLoops: 1, reasoning: false, signal, emit };
}

/**
 * The answer as text deltas, in order, as the model streams them. Leaving the
 * loop early (break, return, throw) aborts the model call.
 */
export async function* oneShotStream(deps: OneShotDeps, request: OneShotRequest): AsyncGenerator<string> {
  const model = oneShotModel(deps.config, request.model);
  const executor = (deps.executorFor ?? createExecutor)(model);
  const controller = new AbortController();
  const outer = request.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  // Deltas flow from the executor's emit callback to this generator's reader.
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const emit = async (event: EventInput): Promise<void> => {
    if (event.type === 'message.delta' && event.data.text) {
      queue.push(event.data.text);
      notify();
    }
  };
  const run = executor
    .run(runRequest(model, request, controller.signal, emit))
    .then(
      () => undefined,
      (error: unknown) => {
        failure = { error };
      },
    )
    .finally(() => {
      finished = true;
      notify();
    });

  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure) throw failure.error;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
    if (!finished) controller.abort(new Error('the one-shot reader stopped'));
    await run;
  }
}
