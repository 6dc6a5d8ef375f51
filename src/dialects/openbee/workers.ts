import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import { invalid } from '../../engine/errors.js';
import { BUILT_IN_TOOL_NAMES } from '../../executors/tools.js';
import type { Agent, Principal } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import type { OpenBeeContext } from './context.js';
import { bodyObject, optionalString, requiredString } from './request-body.js';

export type WorkerStatus = 'idle' | 'working' | 'error';

/** A worker as this API shows it: an agent, with its system prompt as `memory` and times in ms. */
export interface Worker {
  id: string;
  name: string;
  description: string;
  memory: string;
  work_dir: string;
  status: WorkerStatus;
  created_at: number;
  updated_at: number;
}

/**
 * Workers are the user's agents (the same ones Sage lists and bit-Agent
 * offers as abilities). A new worker gets a work folder of its own under
 * `<data_dir>/workers` and every built-in tool; a client-named one must lie inside an allowed root
 * (`engine.work_dir_roots`), for admins too, since this API lets any user
 * name one. `delete_work_dir=true` removes the folder only inside a root.
 */
export function workerHandlers(c: OpenBeeContext): Record<string, Handler> {
  const { engine } = c;
  const { directory, workDirs } = engine;

  /** A client-given work folder: absolute, inside a root; created when missing. */
  const checkedWorkDir = async (raw: string): Promise<string> => {
    if (!(await workDirs.contains(raw))) {
      throw invalid(`work_dir must be an absolute path inside one of the allowed folders: ${workDirs.roots.join(', ')}`, { field: 'work_dir' });
    }
    await workDirs.ensure(raw);
    return raw;
  };

  /** idle, working while a task of the worker is pending or running, error when its latest task failed. */
  const statusOf = async (principal: Principal, agent: Agent): Promise<WorkerStatus> => {
    const { items } = await engine.tasks.list(principal, { offset: 0, limit: 1 }, { agentId: agent.id });
    const state = items[0]?.state;
    if (state === 'pending' || state === 'running') return 'working';
    return state === 'failed' ? 'error' : 'idle';
  };

  const view = async (principal: Principal, agent: Agent): Promise<Worker> => ({
    id: agent.id,
    name: agent.name,
    description: agent.description,
    memory: agent.systemPrompt,
    work_dir: agent.workDir ?? '',
    status: await statusOf(principal, agent),
    created_at: agent.createdAt,
    updated_at: agent.updatedAt,
  });

  const fieldsOf = async (ctx: Koa.Context) => {
    const body = bodyObject(ctx);
    const workDir = optionalString(body, 'work_dir');
    return {
      body,
      description: optionalString(body, 'description'),
      systemPrompt: optionalString(body, 'memory'),
      workDir: workDir === undefined ? undefined : await checkedWorkDir(workDir),
    };
  };

  return {
    workerCreate: asUser(async (ctx, principal) => {
      const { body, description, systemPrompt, workDir } = await fieldsOf(ctx);
      const name = requiredString(body, 'name');
      const id = randomUUID();
      const dir = workDir ?? workDirs.defaultFor(principal.tenant, id);
      if (!workDir) await workDirs.ensure(dir);
      // A worker is a tool-using agent (the original runs a coding agent): it gets every built-in tool.
      const tools = [...BUILT_IN_TOOL_NAMES];
      const agent = await directory.createAgent(principal, { id, name, description, systemPrompt, workDir: dir, tools });
      return view(principal, agent);
    }),
    workerList: asUser(async (_ctx, principal) => {
      const agents = await directory.allAgents(principal);
      return Promise.all(agents.map((agent) => view(principal, agent)));
    }),
    workerGet: asUser(async (ctx, principal) => view(principal, await directory.getAgent(principal, pathParam(ctx, 'id')))),
    workerUpdate: asUser(async (ctx, principal) => {
      const id = pathParam(ctx, 'id');
      await directory.getAgent(principal, id);
      const { body, description, systemPrompt, workDir } = await fieldsOf(ctx);
      const name = optionalString(body, 'name');
      if (name !== undefined && name.trim() === '') throw invalid('name must not be empty', { field: 'name' });
      const agent = await directory.updateAgent(principal, id, { name, description, systemPrompt, workDir });
      return view(principal, agent);
    }),
    workerDelete: asUser(async (ctx, principal) => {
      const id = pathParam(ctx, 'id');
      const agent = await directory.getAgent(principal, id);
      await directory.deleteAgent(principal, id);
      if (queryParam(ctx, 'delete_work_dir') === 'true' && agent.workDir) await workDirs.remove(agent.workDir);
      return { status: 'deleted' };
    }),
  };
}
