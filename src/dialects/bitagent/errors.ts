import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply } from '../../http/dialect.js';

/** The engine's words for what is missing, in this API's vocabulary. */
const NOT_FOUND: Record<string, string> = {
  agent: 'ability not found',
  conversation: 'session not found',
  'task events': 'task not found',
};

/**
 * The success envelope with the HTTP status as a string code ("404") and
 * `data: null`. Unexpected errors never show their message: it may hold internals.
 */
export function renderBitAgentError(error: EngineError): ErrorReply {
  const status = error.status;
  const body = { code: String(status), message: errorMessage(error), data: null };
  // Tells HTTP clients which scheme to retry with (RFC 6750).
  return status === 401 ? { status, body, headers: { 'WWW-Authenticate': 'Bearer' } } : { status, body };
}

/** What this API says of an error (also inside a stream). */
export function errorMessage(error: EngineError): string {
  if (error.code === 'internal') return 'internal server error';
  if (error.code === 'not_found') return NOT_FOUND[String(error.detail.what)] ?? error.message;
  return error.message;
}
