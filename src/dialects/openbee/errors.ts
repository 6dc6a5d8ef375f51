import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply } from '../../http/dialect.js';

/** The engine's words for what is missing, in this API's vocabulary ("worker not found"). */
const NOT_FOUND: Record<string, string> = {
  agent: 'worker not found',
  task: 'execution not found',
  'task events': 'execution not found',
  conversation: 'session not found',
};

/** `{"error": "<message>"}` with the HTTP status; unexpected errors stay generic. */
export function renderOpenBeeError(error: EngineError): ErrorReply {
  return { status: error.status, body: { error: messageOf(error) } };
}

function messageOf(error: EngineError): string {
  if (error.code === 'internal') return 'internal server error';
  if (error.code === 'not_found') return NOT_FOUND[String(error.detail.what)] ?? error.message;
  return error.message;
}
