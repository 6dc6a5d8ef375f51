import type { ErrorCode } from '../../engine/errors.js';
import { EngineError, clip } from '../../engine/errors.js';
import type { ErrorReply, RequestView } from '../../http/dialect.js';

/**
 * Errors in the Agents API v1 shape: `{success: false, error}` with the HTTP
 * status, the message in the API's own language. Errors this dialect raises
 * carry their client-facing text already (`v1Error`); errors from the engine
 * or the HTTP layer are worded here from their code. English engine text
 * reaches a client only where it says what to fix: the reason of a 400, the
 * operation of a 501.
 */

/** Marks the text that goes to the client as is. */
const TEXT = 'v1Text';

/** An error whose `message` is exactly what the client reads. */
export function v1Error(code: ErrorCode, text: string, detail: Record<string, unknown> = {}): EngineError {
  return new EngineError(code, text, { ...detail, [TEXT]: text });
}

export const MISSING_TOKEN = '缺少 Bearer Token';
export const INVALID_TOKEN = '无效的 Token';

/** What is missing, in the API's own words. */
const NOT_FOUND: Record<string, string> = {
  task: '任务不存在',
  'task events': '任务不存在',
  file: '文件不存在',
  folder: '文件不存在',
  conversation: '对话不存在',
  agent: '智能体不存在',
};

/** The workspace's 409s (`reason` of src/engine/fs-errors.ts). */
const FILE_CLASH: Record<string, string> = {
  folder_in_the_way: '同名文件夹已存在',
  file_in_the_way: '路径中已有同名文件',
  changed: '文件夹已变更，请重试',
};

const BY_CODE: Record<ErrorCode, string> = {
  invalid_argument: '请求参数错误',
  unauthenticated: INVALID_TOKEN,
  forbidden: '无权访问',
  not_found: '接口不存在',
  conflict: '已有运行中的任务，请稍后再试',
  payload_too_large: '上传内容过大',
  request_timeout: '请求超时',
  headers_too_large: '请求头过大',
  rate_limited: '请求过于频繁，请稍后再试',
  not_implemented: '暂未实现',
  unavailable: '服务暂不可用',
  epoch_mismatch: '任务事件已失效',
  internal: '服务器内部错误',
};

export function renderAgentsV1Error(error: EngineError, ctx: RequestView): ErrorReply {
  return { status: error.status, body: { success: false, error: textOf(error, ctx) } };
}

function textOf(error: EngineError, ctx: RequestView): string {
  const own = error.detail[TEXT];
  if (typeof own === 'string') return own;
  switch (error.code) {
    case 'not_found': {
      // Without `what` it is the gateway's "no route": name the request so a wrong URL is obvious.
      const what = error.detail.what;
      return what === undefined ? `${BY_CODE.not_found}: ${ctx.method} ${clip(ctx.path)}` : (NOT_FOUND[String(what)] ?? `${String(what)} 不存在`);
    }
    case 'conflict': {
      // A workspace clash names its path; any other conflict is a busy conversation.
      const clash = FILE_CLASH[String(error.detail.reason)];
      return clash ? `${clash}: ${String(error.detail.path)}` : BY_CODE.conflict;
    }
    case 'unauthenticated':
      // The mount's refusal says whether a token was there at all.
      return error.detail.reason === 'missing' ? MISSING_TOKEN : INVALID_TOKEN;
    case 'not_implemented':
      // Names the operation, which is what an operator needs to see.
      return error.message;
    case 'invalid_argument':
      // The engine's reason (which path rule, which model) helps the caller fix the request.
      return error.detail.field === 'path' ? `非法路径: ${error.message}` : `${BY_CODE.invalid_argument}: ${error.message}`;
    default:
      return BY_CODE[error.code];
  }
}
