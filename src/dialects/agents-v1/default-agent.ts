import type { AgentsV1Config } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import type { Agent, Principal } from '../../engine/records.js';
import { defaultAgentOf } from '../default-agent.js';
import { v1Error } from './errors.js';

/** The agent that runs this API's conversations (`default_agent`, see `defaultAgentOf`). */
export async function defaultAgent(engine: Engine, config: AgentsV1Config, principal: Principal): Promise<Agent> {
  const agent = await defaultAgentOf(engine, config.default_agent, principal);
  if (!agent) throw v1Error('unavailable', '没有可用的智能体，请先在配置中为租户添加智能体');
  return agent;
}
