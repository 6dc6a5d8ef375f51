import { invalid } from '../../engine/errors.js';
import { BUILT_IN_TOOL_NAMES } from '../../executors/tools.js';
import { sageError } from './i18n.js';

/** The run settings a chat request asks for, beyond its text. */
export interface StreamSettings {
  sessionId?: string;
  agentId?: string;
  text: string;
  /** From `<enable_deep_thinking>` or `deep_thinking`. */
  reasoning?: boolean;
  /** From `<enable_plan>`: kept with the run; the engine has no planner of its own. */
  plan?: boolean;
  thinkingLevel?: string;
  maxLoops?: number;
  /** A configured model name (`llm_model_config.model`). */
  model?: string;
  agentName?: string;
  agentMode?: string;
  /** Replaces the agent's system prompt for this run (`system_prefix`). */
  systemPrefix?: string;
  /** Given to the model with the system prompt for this run (`system_context`). */
  systemContext?: Record<string, unknown>;
  /** The tools this run may call instead of the agent's (`available_tools`). */
  tools?: string[];
  /** Sampling settings from `llm_model_config` for this run's model calls. */
  sampling?: Record<string, number>;
}

/**
 * The `llm_model_config` fields a run may set, each with its range. Where the
 * model is and which key it uses come from the server's config only: a
 * request never points the gateway at another server.
 */
const SAMPLING: Record<string, { min: number; max: number; integer?: boolean }> = {
  temperature: { min: 0, max: 2 },
  top_p: { min: 0, max: 1 },
  max_tokens: { min: 1, max: 1_000_000, integer: true },
  presence_penalty: { min: -2, max: 2 },
  frequency_penalty: { min: -2, max: 2 },
};

function samplingOf(llm: Record<string, unknown> | undefined): Record<string, number> | undefined {
  if (!llm) return undefined;
  const out: Record<string, number> = {};
  for (const [field, range] of Object.entries(SAMPLING)) {
    const v = llm[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max || (range.integer && !Number.isInteger(v))) {
      throw invalid(`llm_model_config.${field} must be a${range.integer ? 'n integer' : ' number'} from ${range.min} to ${range.max}`, { field: 'llm_model_config' });
    }
    out[field] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Longest loop cap a request may ask for. */
const MAX_LOOPS = 100;

const TAG = /^\s*<(enable_plan|enable_deep_thinking|thinking_level)>([^<]*)<\/\1>/;

/**
 * Reads the control tags the web UI puts at the start of a message
 * (`<enable_deep_thinking>false</enable_deep_thinking> hello`) and returns
 * them with the text the model is to see (tags and the space after them gone).
 */
export function stripControlTags(content: string): { text: string; tags: Record<string, string> } {
  const tags: Record<string, string> = {};
  let rest = content;
  for (let m = TAG.exec(rest); m; m = TAG.exec(rest)) {
    tags[m[1]!] = m[2]!.trim();
    rest = rest.slice(m[0].length);
  }
  return { text: rest.trim(), tags };
}

const truthy = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : /^(true|1|yes|on)$/i.test(v));

/** A message's text: a string, or the text parts of a multimodal list. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`, { field });
  return v;
}

function optionalBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(`${field} must be a boolean`, { field });
  return v;
}

function optionalStrings(body: Record<string, unknown>, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${field} must be a list of strings`, { field });
  return v as string[];
}

function optionalObject(body: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`${field} must be an object`, { field });
  return v as Record<string, unknown>;
}

export const EMPTY_MESSAGES = { 'zh-CN': '消息列表不能为空', en: 'The message list must not be empty' };
const EMPTY_USER_MESSAGE = { 'zh-CN': '用户消息不能为空', en: 'The user message must not be empty' };

function objectBody(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw sageError('invalid_argument', { 'zh-CN': '请求体必须是 JSON 对象', en: 'The request body must be a JSON object' });
  }
  return raw as Record<string, unknown>;
}

/** The run settings of a StreamRequest without its messages (what a rerun sends). */
export function readRunSettings(raw: unknown): Omit<StreamSettings, 'text'> {
  const body = objectBody(raw);
  const loops = body.max_loop_count;
  if (loops !== undefined && loops !== null && (!Number.isInteger(loops) || (loops as number) < 1 || (loops as number) > MAX_LOOPS)) {
    throw invalid(`max_loop_count must be an integer from 1 to ${MAX_LOOPS}`, { field: 'max_loop_count' });
  }
  const llm = optionalObject(body, 'llm_model_config');
  const model = llm?.model;
  if (model !== undefined && typeof model !== 'string') throw invalid('llm_model_config.model must be a string', { field: 'llm_model_config' });
  const tools = optionalStrings(body, 'available_tools');
  const unknown = tools?.filter((t) => !BUILT_IN_TOOL_NAMES.includes(t)) ?? [];
  if (unknown.length) {
    throw invalid(`unknown tools in available_tools: ${unknown.join(', ')} (known tools: ${BUILT_IN_TOOL_NAMES.join(', ')})`, { field: 'available_tools' });
  }
  return {
    sessionId: optionalString(body, 'session_id'),
    agentId: optionalString(body, 'agent_id'),
    reasoning: optionalBool(body, 'deep_thinking'),
    maxLoops: (loops as number | undefined) ?? undefined,
    model: model || undefined,
    agentName: optionalString(body, 'agent_name'),
    agentMode: optionalString(body, 'agent_mode'),
    systemPrefix: optionalString(body, 'system_prefix'),
    systemContext: optionalObject(body, 'system_context'),
    tools,
    sampling: samplingOf(llm),
  };
}

/** The text of a message the user wrote, with its leading control tags read as settings (a tag wins over a body field). */
export function userText(content: unknown, settings: Omit<StreamSettings, 'text'>): StreamSettings {
  const { text, tags } = stripControlTags(contentText(content));
  if (!text) throw sageError('invalid_argument', EMPTY_USER_MESSAGE, { field: 'messages' });
  return {
    ...settings,
    text,
    // A tag in the message wins over the field: it is what the user set for this very message.
    reasoning: truthy(tags.enable_deep_thinking) ?? settings.reasoning,
    plan: truthy(tags.enable_plan),
    thinkingLevel: tags.thinking_level,
  };
}

/** A ChatRequest / StreamRequest body read into run settings; a bad one is a 400 in Sage's words. */
export function readStreamRequest(raw: unknown): StreamSettings {
  const settings = readRunSettings(raw);
  const messages = objectBody(raw).messages;
  if (!Array.isArray(messages) || messages.length === 0) throw sageError('invalid_argument', EMPTY_MESSAGES);
  const last = [...messages].reverse().find((m) => m && typeof m === 'object' && (m as { role?: unknown }).role === 'user') as
    | { content?: unknown }
    | undefined;
  return userText(last?.content, settings);
}
