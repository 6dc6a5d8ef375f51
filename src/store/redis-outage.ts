import type { RedisOptions } from 'ioredis';
import { StoreUnavailableError } from './store.js';

/**
 * ioredis settings that bound every command, so an outage fails calls within
 * `commandTimeoutMs` instead of hanging until Redis is back (ioredis 6):
 * - `commandTimeout`: `sendCommand` arms the timer before it writes the command
 *   *or* puts it in the offline queue, so it covers a paused server (written,
 *   no reply: SIGSTOP, a stuck host) and a dead one (queued while
 *   reconnecting) alike. It applies to MULTI and auto-pipelined commands too.
 * - `maxRetriesPerRequest: 0`: on every lost connection and failed reconnect
 *   attempt, ioredis rejects what is queued instead of keeping it (default: 20
 *   attempts, over a minute) and replaying it when Redis returns. A caller
 *   already told "unavailable" must not see its write land later, and an
 *   in-flight append script must not run twice because it was resent.
 * - The offline queue stays on (default): commands issued during a short
 *   reconnect, or before the first connect, wait for it, still within the
 *   timeout.
 */
export function failFastOptions(commandTimeoutMs: number): RedisOptions {
  return { commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: true };
}

/**
 * Wraps every method of `store`'s class, once, on the instance: a call that
 * fails because Redis gave no answer rejects with `StoreUnavailableError`,
 * every other error passes as it is. The one place where an outage becomes
 * the store contract's error, so no method can forget it (calls a method
 * makes on `this` go through the wrapped ones too).
 */
export function guardEveryCall(store: object): void {
  const methods = store as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
    const method = methods[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    methods[name] = (...args: unknown[]): unknown => {
      const out = (method as (...a: unknown[]) => unknown).apply(store, args);
      return out instanceof Promise ? out.catch(rethrowOutage) : out;
    };
  }
}

function rethrowOutage(error: unknown): never {
  throw isNoAnswer(error) ? new StoreUnavailableError(error) : error;
}

/** What ioredis 6 rejects a command with when Redis did not answer (timeout, lost or closed connection). */
const NO_ANSWER_MESSAGES = new Set(['Command timed out', 'Connection is closed.']);

/**
 * True for the errors of an outage. Not for a `ReplyError` (Redis answered,
 * with an error: a bug, shown as one) nor for our own errors.
 */
function isNoAnswer(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // AbortError: dropped with its connection; MaxRetriesPerRequestError (a subclass): flushed while reconnecting.
  return error.name === 'AbortError' || error.name === 'MaxRetriesPerRequestError' || NO_ANSWER_MESSAGES.has(error.message);
}
