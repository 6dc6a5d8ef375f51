import { clip, EngineError } from '../../engine/errors.js';
import type { Agent, Principal } from '../../engine/records.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/** Sage's words for the engine's agent refusals (the engine decides; this only words them). */
export async function sageWords<T>(run: () => Promise<T>, agentId = ''): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof EngineError && err.code === 'forbidden') {
      throw sageError('forbidden', { 'zh-CN': '权限不足', en: 'permission denied' });
    }
    if (err instanceof EngineError && err.code === 'not_found' && agentId) throw agentNotFound(agentId);
    throw err;
  }
}

/** The id is the client's: quoted clipped, so a huge one cannot make a huge error. */
export const agentNotFound = (agentId: string) =>
  sageError('not_found', { 'zh-CN': `Agent 不存在: ${clip(agentId)}`, en: `agent not found: ${clip(agentId)}` }, { agent_id: clip(agentId) });

/** An agent the caller may use, 404 otherwise. */
export const usableAgent = (c: SageContext, principal: Principal, agentId: string): Promise<Agent> =>
  sageWords(() => c.engine.directory.getAgent(principal, agentId), agentId);

/** An agent the caller may manage (owner or admin): 404 when invisible, 403 when only usable. */
export async function managedAgent(c: SageContext, principal: Principal, agentId: string): Promise<Agent> {
  const agent = await usableAgent(c, principal, agentId);
  const admin = principal.admin || (await c.engine.directory.getUser(principal.tenant, principal.userId))?.admin === true;
  if (agent.owner !== principal.userId && !admin) throw sageError('forbidden', { 'zh-CN': '权限不足', en: 'permission denied' });
  return agent;
}

/** The configured default agent when the caller may use it, else the first listed. */
export function defaultAgentId(c: SageContext, agents: Agent[]): string | undefined {
  const configured = c.options.default_agent;
  return agents.find((a) => a.id === configured)?.id ?? agents[0]?.id;
}
