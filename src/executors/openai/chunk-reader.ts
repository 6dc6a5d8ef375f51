import { ExecutorError } from '../executor.js';
import { errorMessageOf, streamErrorOf } from './provider-error.js';
import type { ToolCallAssembler } from './tool-call-assembler.js';
import type { TurnOutput } from './turn-output.js';
import { readUsage } from './usage.js';

/** Where one turn's chunks go. */
export interface TurnSink {
  output: TurnOutput;
  calls: ToolCallAssembler;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies one parsed chunk to the turn. Resolves true when the chunk carried a
 * `finish_reason` (the turn's content is complete). Throws an ExecutorError
 * with the provider's message for errors sent inside a 200 stream.
 *
 * Only choice 0 is read (we never ask for `n` > 1); `choices` may be missing
 * or empty, `delta.role` may be missing. A non-streamed response is applied
 * the same way, its `message` standing in for the delta.
 */
export async function applyChunk(chunk: Record<string, unknown>, sink: TurnSink): Promise<boolean> {
  const failure = streamErrorOf(chunk);
  if (failure) throw new ExecutorError(`model server error: ${failure}`);
  sink.output.usage = readUsage(chunk) ?? sink.output.usage;
  let finished = false;
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  for (const choice of choices) {
    if (!isObject(choice) || (typeof choice.index === 'number' && choice.index !== 0)) continue;
    const delta = isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : {};
    await applyDelta(delta, sink);
    const reason = choice.finish_reason;
    if (reason === 'error') {
      const message = errorMessageOf(choice.error) ?? errorMessageOf(chunk) ?? 'the model stopped with an error';
      throw new ExecutorError(`model server error: ${message}`);
    }
    if (typeof reason === 'string' && reason) finished = true;
  }
  return finished;
}

async function applyDelta(delta: Record<string, unknown>, sink: TurnSink): Promise<void> {
  for (const field of ['reasoning_content', 'reasoning']) {
    const value = delta[field];
    if (typeof value === 'string') await sink.output.think(value);
  }
  const content = delta.content;
  if (typeof content === 'string') await sink.output.content(content);
  else if (Array.isArray(content)) await applyContentParts(content, sink);
  sink.calls.add(delta.tool_calls);
  sink.calls.addFunctionCall(delta.function_call);
}

/** Content as typed parts (Mistral's reasoning models): text parts and thinking parts. */
async function applyContentParts(parts: unknown[], sink: TurnSink): Promise<void> {
  for (const part of parts) {
    if (!isObject(part)) continue;
    if (part.type === 'text' && typeof part.text === 'string') await sink.output.content(part.text);
    if (part.type === 'thinking') {
      const thinking = Array.isArray(part.thinking) ? part.thinking : [part.thinking];
      for (const item of thinking) {
        if (typeof item === 'string') await sink.output.think(item);
        else if (isObject(item) && typeof item.text === 'string') await sink.output.think(item.text);
      }
    }
  }
}
