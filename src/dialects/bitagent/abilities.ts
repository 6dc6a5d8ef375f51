import type { Config } from '../../config/types.js';
import type { Agent } from '../../engine/records.js';
import { isoTime } from './times.js';

/**
 * Abilities are the tenant's agents. Agents are declared in the config, so
 * their creator is reported as the system. An agent without input or output
 * schemas is shown with the shapes it actually accepts and returns: free
 * inputs, and the final answer as `{text}`.
 */
export const SYSTEM_CREATOR = { id: 'system', name: 'System' } as const;

export const FREE_INPUTS = {
  type: 'object',
  properties: { text: { type: 'string', description: 'What to ask' } },
  additionalProperties: true,
} as const;

export const TEXT_OUTPUTS = {
  type: 'object',
  properties: { text: { type: 'string', description: 'The final answer' } },
} as const;

export function abilitySummary(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    description: agent.description || null,
    created_by_id: SYSTEM_CREATOR.id,
    created_by_name: SYSTEM_CREATOR.name,
    created_at: isoTime(agent.createdAt),
  };
}

export function abilityDetail(agent: Agent, config: Config) {
  return {
    ...abilitySummary(agent),
    inputs: agent.inputs ?? FREE_INPUTS,
    outputs: agent.outputs ?? TEXT_OUTPUTS,
    config: {
      llm_registry: agent.model ?? config.default_model,
      tools: agent.tools,
      max_loops: agent.maxLoops,
    },
  };
}

/**
 * Fuzzy name match: every word of the query appears in the name, in any
 * order, ignoring case and accents ("data collection" finds "Web Data
 * Collection" and "Collection of data").
 */
export function nameMatches(name: string, query: string | undefined): boolean {
  if (!query?.trim()) return true;
  const haystack = fold(name);
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => haystack.includes(word));
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}
