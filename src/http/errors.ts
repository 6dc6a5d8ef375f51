import { EngineError } from '../engine/errors.js';
import { LogMissingError, StoreUnavailableError } from '../store/store.js';
import type { Logger } from '../log.js';

/**
 * Any thrown value as an EngineError. Errors of the HTTP layer (body too
 * large, malformed JSON) keep their meaning; anything unexpected is logged
 * with its stack here and reaches the client only as a generic message.
 */
export function toEngineError(err: unknown, logger: Logger): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof LogMissingError) return new EngineError('not_found', 'task events not found');
  if (err instanceof StoreUnavailableError) {
    // An outage, not a bug: one warning with the driver's reason, a plain 503 for the client.
    logger.warn({ err }, 'store unavailable');
    return new EngineError('unavailable', 'store unavailable, try again shortly');
  }
  const status = httpStatusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 413) return new EngineError('payload_too_large', 'request body too large');
  if (status === 415) return new EngineError('invalid_argument', 'unsupported content type');
  if (status !== undefined && status >= 400 && status < 500) return new EngineError('invalid_argument', message);
  logger.error({ err }, 'unexpected error');
  return new EngineError('internal', 'internal server error');
}

function httpStatusOf(err: unknown): number | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; httpCode?: unknown; code?: unknown };
  for (const value of [e.status, e.statusCode, e.httpCode]) if (typeof value === 'number') return value;
  // formidable reports an oversized upload by its own error code.
  if (e.code === 1009 || e.code === 1016) return 413;
  return undefined;
}
