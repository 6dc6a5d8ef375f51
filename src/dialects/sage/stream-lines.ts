import { pySeconds } from './stream-json.js';

/** One OpenAI-shaped tool call as a message line carries it. */
export interface LineToolCall {
  index: number;
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The fields of a message line; which are set depends on its type. */
export interface MessageFields {
  role: 'assistant' | 'tool' | 'user';
  content?: string;
  reasoning_content?: string;
  tool_calls?: LineToolCall[];
  message_id: string;
  tool_call_id?: string;
  type: string;
  ts: number;
  agent_name?: string;
  agent_type?: string;
  metadata?: Record<string, unknown>;
  error_info?: unknown;
  session_id: string;
}

/**
 * A message line with its keys in the order the public server writes them
 * (role, content, reasoning_content, tool_calls, message_id, tool_call_id,
 * type, timestamp, agent_name, agent_type, metadata, error_info, session_id);
 * absent fields are left out, `metadata` is always there.
 */
export function messageLine(f: MessageFields): Record<string, unknown> {
  const line: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) line[key] = value;
  };
  put('role', f.role);
  put('content', f.content);
  put('reasoning_content', f.reasoning_content);
  put('tool_calls', f.tool_calls);
  put('message_id', f.message_id);
  put('tool_call_id', f.tool_call_id);
  put('type', f.type);
  line.timestamp = pySeconds(f.ts);
  put('agent_name', f.agent_name);
  put('agent_type', f.agent_type);
  line.metadata = f.metadata ?? {};
  put('error_info', f.error_info);
  put('session_id', f.session_id);
  return line;
}

/** `/api/stream`'s live output of a running tool (chat and web-stream leave these out). */
export function toolProgressLine(sessionId: string, toolCallId: string, text: string, ts: number): Record<string, unknown> {
  return { type: 'tool_progress', session_id: sessionId, tool_call_id: toolCallId, text, stream: 'stdout', closed: false, ts: pySeconds(ts) };
}

/** The last line of every stream; `total_stream_count` is the number of lines before it. */
export function streamEndLine(sessionId: string, ts: number, total: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'stream_end', session_id: sessionId, timestamp: pySeconds(ts), total_stream_count: total, ...extra };
}

