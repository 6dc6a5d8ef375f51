import type { AgentsV1Config } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import type { Agent, Principal } from '../../engine/records.js';
import { v1Error } from './errors.js';

/**
 * The agent that runs this API's conversations: the configured
 * `default_agent` when it belongs to the caller's tenant, else the tenant's
 * first agent. (Agent ids are global; a tenant without the configured agent
 * still gets a working API rather than a 404 on every message.)
 */
export async function defaultAgent(engine: Engine, config: AgentsV1Config, principal: Principal): Promise<Agent> {
  if (config.default_agent) {
    try {
      return await engine.directory.getAgent(principal, config.default_agent);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'not_found')) throw err;
    }
  }
  const [first] = await engine.directory.allAgents(principal);
  if (!first) throw v1Error('unavailable', '没有可用的智能体，请先在配置中为租户添加智能体');
  return first;
}
