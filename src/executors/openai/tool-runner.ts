import type { EventInput } from '../../engine/events.js';
import type { ChatMessage, Tool, ToolCall } from '../executor.js';
import { decodeArguments, type DecodedArguments } from './tool-arguments.js';
import type { AssembledToolCall } from './tool-call-assembler.js';

/** A call as the model made it, with its arguments decoded against the tool's schema. */
export interface PreparedCall {
  call: AssembledToolCall;
  tool: Tool | undefined;
  decoded: DecodedArguments;
}

export function prepareCalls(calls: AssembledToolCall[], tools: Tool[]): PreparedCall[] {
  return calls.map((call) => {
    const tool = tools.find((t) => t.name === call.name);
    const decoded: DecodedArguments = call.error
      ? { ok: false, error: call.error }
      : decodeArguments(call.arguments, tool?.parameters);
    return { call, tool, decoded };
  });
}

/**
 * The call as kept in the history. Arguments that did not decode are
 * recorded as `{}` so the history stays valid JSON and the model still sees
 * its call answered by the error.
 */
export function historyCall({ call, decoded }: PreparedCall): ToolCall {
  return { id: call.id, name: call.name, arguments: decoded.ok ? JSON.stringify(decoded.args) : '{}' };
}

function resultText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value ?? null) ?? 'null');
}

/** Settles with the tool's promise, or rejects with the abort reason at once (a tool may ignore its signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * Runs one call and reports it (tool.started with the decoded arguments,
 * tool.completed with ok/error and the result). Every failure of the call
 * becomes an error result for the model to read; only an abort rejects (with
 * the signal's reason), after reporting the call as cancelled.
 */
export async function runToolCall(
  prepared: PreparedCall,
  signal: AbortSignal,
  emit: (event: EventInput) => Promise<void>,
): Promise<ChatMessage> {
  const { call, tool, decoded } = prepared;
  const ref = { callId: call.id, name: call.name };
  const answer = (content: string): ChatMessage => ({ role: 'tool', toolCallId: call.id, content });
  await emit({ type: 'tool.started', data: { ...ref, arguments: decoded.ok ? decoded.args : call.arguments } });
  if (!decoded.ok || !tool) {
    const message = decoded.ok ? `there is no tool named "${call.name}"` : decoded.error;
    await emit({ type: 'tool.completed', data: { ...ref, status: 'error', result: message } });
    return answer(`Error: ${message}`);
  }
  try {
    const result = await untilAborted(tool.run(decoded.args, { signal }), signal);
    await emit({ type: 'tool.completed', data: { ...ref, status: 'ok', result } });
    return answer(resultText(result));
  } catch (err) {
    if (signal.aborted) {
      await emit({ type: 'tool.completed', data: { ...ref, status: 'cancelled', result: null } });
      throw signal.reason;
    }
    const message = err instanceof Error ? err.message : String(err);
    await emit({ type: 'tool.completed', data: { ...ref, status: 'error', result: message } });
    return answer(`Error: ${message}`);
  }
}
