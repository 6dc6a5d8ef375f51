import type { Engine } from '../engine/engine.js';
import { EngineError } from '../engine/errors.js';
import type { Agent, Principal } from '../engine/records.js';

/**
 * The agent an API's conversations run on when the client names none: the
 * configured one when it belongs to the caller's tenant, else the tenant's
 * first agent; `undefined` when the tenant has none. (Agent ids are global;
 * a tenant without the configured agent still gets a working API rather
 * than a 404 on every message.)
 */
export async function defaultAgentOf(engine: Engine, configured: string | undefined, principal: Principal): Promise<Agent | undefined> {
  if (configured) {
    try {
      return await engine.directory.getAgent(principal, configured);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'not_found')) throw err;
    }
  }
  const [first] = await engine.directory.allAgents(principal);
  return first;
}
