import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply, RequestView } from '../../http/dialect.js';
import { sageTimestamp } from './envelope.js';
import { localize, localizedOf, type Localized } from './i18n.js';

/** The API's own words for the engine's refusals (the document's "未登录" and "权限不足"). */
const BY_CODE: Partial<Record<EngineError['code'], Localized>> = {
  unauthenticated: { 'zh-CN': '未登录', en: 'Not logged in' },
  forbidden: { 'zh-CN': '权限不足', en: 'Permission denied' },
  rate_limited: { 'zh-CN': '请求过于频繁，请稍后再试', en: 'Too many attempts, please try again later' },
};

/** What a missing object is called, by the engine's `notFound(what, …)`. */
const NOT_FOUND: Record<string, Localized> = {
  agent: { 'zh-CN': 'Agent不存在', en: 'Agent not found' },
  conversation: { 'zh-CN': '会话不存在', en: 'Conversation not found' },
  task: { 'zh-CN': '任务不存在', en: 'Task not found' },
  user: { 'zh-CN': '用户不存在', en: 'User not found' },
};

/**
 * `{success: false, code: N, message, error_detail, timestamp}` with HTTP
 * status N. `error_detail` carries the engine's error code: stable, and free
 * of internals. An unexpected error shows only a generic message, in the
 * caller's language (`X-Sage-Locale`, then `Accept-Language`; Chinese by default).
 */
export function renderSageError(error: EngineError, ctx: RequestView): ErrorReply {
  const status = error.status;
  const text = error.code === 'internal' ? INTERNAL : (localizedOf(error) ?? wordsOf(error));
  const message = text ? localize(ctx, text) : error.message;
  return {
    status,
    body: { success: false, code: status, message, error_detail: error.code, timestamp: sageTimestamp() },
  };
}

const INTERNAL: Localized = { 'zh-CN': '内部服务器错误', en: 'Internal server error' };

function wordsOf(error: EngineError): Localized | undefined {
  // A refused or missing credential (the resolver and the schemes set `reason`) is "not logged in";
  // a handler's own unauthenticated message stays as it wrote it.
  if (error.code === 'unauthenticated' && error.detail.reason === undefined) return undefined;
  if (error.code === 'not_found') {
    const what = error.detail.what;
    return typeof what === 'string' ? NOT_FOUND[what] : undefined;
  }
  return BY_CODE[error.code];
}
