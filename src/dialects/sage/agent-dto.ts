import type { AgentPatch } from '../../engine/agents.js';
import type { Agent } from '../../engine/records.js';
import { BUILT_IN_TOOL_NAMES } from '../../executors/tools.js';
import { sageError } from './i18n.js';

/**
 * Sage's AgentConfigDTO over the engine's agent. The engine has columns for
 * name, description, system prompt (`systemPrefix`), the runnable part of
 * `availableTools` and loop limit (`maxLoopCount`); every other field lives
 * in `settings.sage`, so it round-trips here and the other APIs ignore it.
 */
export interface AgentConfigDTO {
  id: string;
  user_id: string;
  name: string;
  systemPrefix: string;
  systemContext: Record<string, unknown>;
  availableWorkflows: Record<string, unknown>;
  availableTools: string[];
  availableSubAgentIds: string[];
  availableSkills: string[];
  availableKnowledgeBases: string[];
  memoryType: string;
  maxLoopCount: number;
  deepThinking: boolean;
  llm_provider_id: string | null;
  enableMultimodal: boolean;
  multiAgent: boolean;
  agentMode: AgentMode;
  subAgentSelectionMode: string;
  thinkingLevel: string;
  moreSuggest: boolean;
  description: string;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export type AgentMode = 'simple' | 'fibre' | 'team';
const MODES: readonly string[] = ['simple', 'fibre', 'team'];

/** The fields kept in `settings.sage`, each with its default and its check. */
type Kind = 'object' | 'list' | 'string' | 'nullable' | 'boolean' | 'mode';
const STORED: Record<string, { kind: Kind; default: unknown }> = {
  systemContext: { kind: 'object', default: {} },
  availableWorkflows: { kind: 'object', default: {} },
  availableSubAgentIds: { kind: 'list', default: [] },
  availableSkills: { kind: 'list', default: [] },
  availableKnowledgeBases: { kind: 'list', default: [] },
  memoryType: { kind: 'string', default: 'session' },
  deepThinking: { kind: 'boolean', default: false },
  llm_provider_id: { kind: 'nullable', default: null },
  enableMultimodal: { kind: 'boolean', default: false },
  multiAgent: { kind: 'boolean', default: false },
  agentMode: { kind: 'mode', default: 'simple' },
  subAgentSelectionMode: { kind: 'string', default: 'manual' },
  thinkingLevel: { kind: 'string', default: 'medium' },
  moreSuggest: { kind: 'boolean', default: false },
};

export const sageSettingsOf = (agent: Agent): Record<string, unknown> => {
  const stored = agent.settings?.sage;
  return typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
};

const iso = (ms: number) => new Date(ms).toISOString();

export function agentDto(agent: Agent, isDefault: boolean): AgentConfigDTO {
  const stored = sageSettingsOf(agent);
  const extra = Object.fromEntries(Object.entries(STORED).map(([key, spec]) => [key, stored[key] ?? spec.default]));
  return {
    id: agent.id,
    user_id: agent.owner ?? '',
    name: agent.name,
    systemPrefix: agent.systemPrompt,
    availableTools: availableTools(agent, stored),
    maxLoopCount: agent.maxLoops,
    description: agent.description,
    ...extra,
    is_default: isDefault,
    created_at: iso(agent.createdAt),
    updated_at: iso(agent.updatedAt),
  } as AgentConfigDTO;
}

/**
 * The tool list as Sage last sent it, while the engine's list is still its
 * runnable part; once another API changed the agent's tools, the engine's.
 */
function availableTools(agent: Agent, stored: Record<string, unknown>): string[] {
  const asked = stored.availableTools;
  if (!Array.isArray(asked)) return agent.tools;
  const runnable = asked.filter((t) => BUILT_IN_TOOL_NAMES.includes(t as string));
  return JSON.stringify(runnable) === JSON.stringify(agent.tools) ? (asked as string[]) : agent.tools;
}

const badField = (field: string, zh: string, en: string) =>
  sageError('invalid_argument', { 'zh-CN': `参数 ${field} 无效：${zh}`, en: `invalid ${field}: ${en}` }, { field });

function checkStored(field: string, kind: Kind, value: unknown): unknown {
  switch (kind) {
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badField(field, '应为对象', 'must be an object');
      return value;
    case 'list':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 256) || value.length > 1000) {
        throw badField(field, '应为字符串列表', 'must be a list of strings');
      }
      return [...new Set(value)];
    case 'string':
      if (typeof value !== 'string' || value.length > 256) throw badField(field, '应为字符串', 'must be a string');
      return value;
    case 'nullable':
      if (value !== null && (typeof value !== 'string' || value.length > 256)) throw badField(field, '应为字符串或 null', 'must be a string or null');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw badField(field, '应为布尔值', 'must be a boolean');
      return value;
    case 'mode':
      // The document's example sends "default": Sage's plain mode.
      if (value === 'default') return 'simple';
      if (typeof value !== 'string' || !MODES.includes(value)) throw badField(field, '应为 simple、fibre 或 team', 'must be simple, fibre or team');
      return value;
  }
}

/**
 * A create/update body as an engine patch. Fields left out stay as they are
 * (update) or take their defaults (create); `settings` holds the previous
 * Sage settings merged with the new ones, other APIs' settings untouched.
 */
export function agentPatchOf(body: Record<string, unknown>, current?: Agent): AgentPatch {
  const patch: AgentPatch = {};
  const text = (field: string, max: number): string | undefined => {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.length > max) throw badField(field, '应为字符串', 'must be a string');
    return value;
  };
  const name = text('name', 256);
  if (name !== undefined) {
    if (!name.trim()) throw badField('name', '不能为空', 'must not be empty');
    patch.name = name.trim();
  }
  const systemPrefix = text('systemPrefix', 200_000);
  if (systemPrefix !== undefined) patch.systemPrompt = systemPrefix;
  const description = text('description', 10_000);
  if (description !== undefined) patch.description = description;
  let askedTools: string[] | undefined;
  if (body.availableTools !== undefined && body.availableTools !== null) {
    askedTools = checkStored('availableTools', 'list', body.availableTools) as string[];
    // The engine runs the tools it has; names it lacks (Sage's web_search...) are kept for the round trip only.
    patch.tools = askedTools.filter((t) => BUILT_IN_TOOL_NAMES.includes(t));
  }
  if (body.maxLoopCount !== undefined && body.maxLoopCount !== null) {
    const loops = body.maxLoopCount;
    if (typeof loops !== 'number' || !Number.isInteger(loops) || loops < 1 || loops > 100) {
      throw badField('maxLoopCount', '应为 1 到 100 的整数', 'must be an integer from 1 to 100');
    }
    patch.maxLoops = loops;
  }
  const sage: Record<string, unknown> = { ...(current ? sageSettingsOf(current) : {}) };
  for (const [field, spec] of Object.entries(STORED)) {
    const value = body[field];
    if (value === undefined || (value === null && spec.kind !== 'nullable')) continue;
    sage[field] = checkStored(field, spec.kind, value);
  }
  if (askedTools) sage.availableTools = askedTools;
  patch.settings = { ...current?.settings, sage };
  return patch;
}

/** The request body as an object; anything else is a 400. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw sageError('invalid_argument', { 'zh-CN': '请求体应为 JSON 对象', en: 'the request body must be a JSON object' });
  }
  return body as Record<string, unknown>;
}
