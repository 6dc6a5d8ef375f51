import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply } from '../../http/dialect.js';

/** The engine's words for what is missing, in this API's vocabulary ("worker not found"). */
const NOT_FOUND: Record<string, string> = {
  agent: 'worker not found',
  task: 'execution not found',
  'task events': 'execution not found',
  conversation: 'session not found',
};

/** `{"error": "<message>"}` with the HTTP status; unexpected errors stay generic. A 429 says when to retry. */
export function renderOpenBeeError(error: EngineError): ErrorReply {
  const reply: ErrorReply = { status: error.status, body: { error: messageOf(error) } };
  const retryAfter = error.detail.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.headers = { 'Retry-After': String(retryAfter) };
  return reply;
}

function messageOf(error: EngineError): string {
  if (error.code === 'internal') return 'internal server error';
  if (error.code === 'not_found') return NOT_FOUND[String(error.detail.what)] ?? error.message;
  return error.message;
}
