import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply, RequestView } from '../../http/dialect.js';
import { sageTimestamp } from './envelope.js';
import { localize, localizedOf } from './i18n.js';

/**
 * `{success: false, code: N, message, error_detail, timestamp}` with HTTP
 * status N. `error_detail` carries the engine's error code: stable, and free
 * of internals. An unexpected error shows only a generic message, in the
 * caller's language (`X-Sage-Locale`, then `Accept-Language`; Chinese by default).
 */
export function renderSageError(error: EngineError, ctx: RequestView): ErrorReply {
  const status = error.status;
  const localized = localizedOf(error);
  const message = error.code === 'internal' ? internalMessage(ctx) : localized ? localize(ctx, localized) : error.message;
  return {
    status,
    body: { success: false, code: status, message, error_detail: error.code, timestamp: sageTimestamp() },
  };
}

function internalMessage(ctx: RequestView): string {
  const locale = ctx.get('X-Sage-Locale') || ctx.get('Accept-Language');
  return /^en\b/i.test(locale) ? 'Internal server error' : '内部服务器错误';
}
