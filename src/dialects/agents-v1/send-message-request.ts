import { Ajv, type ErrorObject } from 'ajv';
import type { Config } from '../../config/types.js';
import { quote } from '../../engine/errors.js';
import { v1Error } from './errors.js';

/**
 * `POST /messages` bodies: the document's SendMessageRequest, its fields
 * checked with their own types, then the rules the document states in words.
 * Fields it does not know are ignored, as the original server does: newer
 * clients send `prompt_name` and `personalization_name`, and must keep
 * working. `null` counts as "not given" for every field, as Python clients send
 * `None` for options they leave unset.
 */
const nullable = (type: string, extra: object = {}) => ({ anyOf: [{ type, ...extra }, { type: 'null' }] });

const schema = {
  type: 'object',
  properties: {
    message: nullable('string'),
    images: nullable('array', { items: { type: 'string' } }),
    conversation_id: nullable('string'),
    model_key: nullable('string'),
    run_mode: nullable('string'),
    thinking_mode: nullable('boolean'),
    max_iterations: nullable('integer'),
  },
};

const validate = new Ajv({ allErrors: true }).compile(schema);

export const RUN_MODES = ['fast', 'thinking', 'deep'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/** Most images one message may carry. */
export const MAX_IMAGES = 9;
/** Bounds of `max_iterations` (the same bounds as an agent's `max_loops`). */
export const MAX_ITERATIONS = 100;

export interface SendMessage {
  text: string;
  /** Workspace paths, not yet read. */
  images: string[];
  conversationId?: string;
  model?: string;
  runMode?: RunMode;
  /** Whether the run asks the model for reasoning. */
  reasoning: boolean;
  maxLoops?: number;
}

export function parseSendMessage(body: unknown, config: Config): SendMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw v1Error('invalid_argument', '请求体必须是 JSON 对象');
  if (!validate(body)) throw v1Error('invalid_argument', describe(validate.errors ?? []));
  const raw = body as Record<string, unknown>;
  const text = typeof raw.message === 'string' ? raw.message.trim() : '';
  const images = Array.isArray(raw.images) ? (raw.images as string[]).map((p) => p.trim()) : [];
  if (!text && images.length === 0) throw v1Error('invalid_argument', '消息不能为空');
  if (images.length > MAX_IMAGES) throw v1Error('invalid_argument', `images 最多 ${MAX_IMAGES} 张`);
  if (images.some((p) => !p)) throw v1Error('invalid_argument', 'images 不能包含空路径');

  const runMode = given(raw.run_mode)?.toLowerCase();
  if (runMode !== undefined && !RUN_MODES.includes(runMode as RunMode)) {
    throw v1Error('invalid_argument', 'run_mode 只支持 fast/thinking/deep');
  }
  const model = given(raw.model_key);
  const models = config.models.map((m) => m.name);
  if (model !== undefined && !models.includes(model)) {
    throw v1Error('invalid_argument', `未知的 model_key ${quote(model)}，可用: ${models.join(', ')}`, { valid: models });
  }
  const maxLoops = typeof raw.max_iterations === 'number' ? raw.max_iterations : undefined;
  if (maxLoops !== undefined && (maxLoops < 1 || maxLoops > MAX_ITERATIONS)) {
    throw v1Error('invalid_argument', `max_iterations 必须是 1 到 ${MAX_ITERATIONS} 之间的整数`);
  }
  // run_mode wins over thinking_mode when both are given (the document: "若传入则优先使用").
  const reasoning = runMode !== undefined ? runMode !== 'fast' : raw.thinking_mode === true;
  return {
    text,
    images,
    conversationId: given(raw.conversation_id),
    model,
    runMode: runMode as RunMode | undefined,
    reasoning,
    maxLoops,
  };
}

/** A string option, blank counting as absent. */
function given(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

const TYPE_NAMES: Record<string, string> = {
  message: 'string',
  images: 'string 数组',
  conversation_id: 'string',
  model_key: 'string',
  run_mode: 'string',
  thinking_mode: 'boolean',
  max_iterations: 'integer',
};

function describe(errors: ErrorObject[]): string {
  const fields = [...new Set(errors.map((e) => e.instancePath.split('/')[1] ?? '').filter(Boolean))];
  return fields.map((f) => `字段 ${f} 类型错误，应为 ${TYPE_NAMES[f] ?? '合法值'}`).join('; ') || '请求参数错误';
}
