import type { EngineError } from '../../engine/errors.js';
import type { ErrorReply } from '../../http/dialect.js';

/** What is missing, in the API's own words (`任务不存在`, `文件不存在`). */
const NOT_FOUND: Record<string, string> = {
  task: '任务不存在',
  'task events': '任务不存在',
  file: '文件不存在',
  conversation: '对话不存在',
};

/** `{success: false, error}` with the HTTP status; unexpected errors stay generic. */
export function renderAgentsV1Error(error: EngineError): ErrorReply {
  return { status: error.status, body: { success: false, error: messageOf(error) } };
}

function messageOf(error: EngineError): string {
  if (error.code === 'internal') return '服务器内部错误';
  if (error.code === 'not_found') return NOT_FOUND[String(error.detail.what)] ?? error.message;
  return error.message;
}
