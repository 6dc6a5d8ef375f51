import type { IndexPage, Store } from '../store/store.js';
import type { WorkDirs } from './work-dirs.js';
import { conflict, forbidden, invalid, notFound, quote } from './errors.js';
import { newId } from './ids.js';
import { updateRecord } from './record-update.js';
import type { Agent, AgentVisibility, Principal } from './records.js';
import { scopedKey } from './keys.js';
import { allMembers, checkId, checkText, type Users } from './users.js';

/**
 * Agents are keyed by tenant + id (`scopedKey`), so an id chosen in one tenant
 * can never read, overwrite or shadow another tenant's agent. A collection of
 * its own: records of the old, id-only keys are never read again.
 */
const AGENT = 'tenant-agent';
const agentsOf = (tenant: string) => `agents:${tenant}`;

/** What a client chooses when creating an agent (`id` is generated when absent). */
export interface NewAgent {
  id?: string;
  name: string;
  description?: string;
  systemPrompt?: string;
  model?: string;
  tools?: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  /** A folder on the gateway's host: admins only. */
  workDir?: string;
  maxLoops?: number;
  /** Admins only; defaults to the creator. */
  owner?: string;
  visibility?: AgentVisibility;
  /** An API's own settings, stored as given (replaced whole on update). */
  settings?: Record<string, unknown>;
}

export type AgentPatch = Partial<Omit<NewAgent, 'id'>>;

const DEFAULT_MAX_LOOPS = 8;

/**
 * Agents and who may use them: everyone in the tenant, or the owner, the
 * listed users and the tenant's admins. An agent a principal may not use reads
 * as "not found", never "forbidden", so its existence is not revealed.
 */
export class Agents {
  constructor(
    private readonly store: Store,
    private readonly users: Users,
    private readonly workDirs?: WorkDirs,
  ) {}

  /**
   * Writes an agent as given (bootstrap). Keeps the stored `createdAt`, and
   * `updatedAt` too when nothing else changed, so an unchanged config rewrites nothing.
   */
  async put(agent: Agent): Promise<void> {
    const existing = await this.find(agent.tenant, agent.id);
    const next = { ...agent, createdAt: existing?.createdAt ?? agent.createdAt };
    if (existing && sameContent(existing, next)) return;
    await this.store.put(AGENT, scopedKey(agent.tenant, agent.id), next);
    await this.store.indexAdd(agentsOf(agent.tenant), agent.id, next.createdAt);
  }

  /** The stored agent, with no access check (engine-internal). */
  async find(tenant: string, agentId: string): Promise<Agent | undefined> {
    return (await this.store.get<Agent>(AGENT, scopedKey(tenant, agentId)))?.value;
  }

  async get(principal: Principal, agentId: string): Promise<Agent> {
    const agent = await this.find(principal.tenant, agentId);
    if (!agent || !(await this.mayUse(principal, agent))) throw notFound('agent', agentId);
    return agent;
  }

  /** The agents the principal may use, oldest first; `total` counts those alone. */
  async list(principal: Principal, page: IndexPage): Promise<{ items: Agent[]; total: number }> {
    const admin = await this.isAdmin(principal);
    const visible: Agent[] = [];
    for (const id of await allMembers(this.store, agentsOf(principal.tenant))) {
      const agent = await this.find(principal.tenant, id);
      if (agent && mayUse(principal, agent, admin)) visible.push(agent);
    }
    const ordered = page.reverse ? visible.reverse() : visible;
    return { items: ordered.slice(page.offset, page.offset + page.limit), total: visible.length };
  }

  /** Any user may create an agent, which they then own; admins may name another owner. */
  async create(actor: Principal, input: NewAgent, now = Date.now()): Promise<Agent> {
    const id = input.id === undefined ? newId('agent') : checkId(input.id, 'id');
    const fields = await this.checked(actor, input);
    const agent: Agent = {
      id,
      tenant: actor.tenant,
      name: checkText(input.name, 'name', 256),
      description: '',
      systemPrompt: '',
      tools: [],
      maxLoops: DEFAULT_MAX_LOOPS,
      owner: actor.userId,
      visibility: 'tenant',
      ...fields,
      source: 'runtime',
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.store.put(AGENT, scopedKey(actor.tenant, id), agent, { ifVersion: 0 }))) {
      throw conflict(`agent ${quote(id)} already exists`, { field: 'id' });
    }
    await this.store.indexAdd(agentsOf(actor.tenant), id, now);
    return agent;
  }

  /** By the owner or an admin. Past tasks keep their `agentId` and stay readable. */
  async update(actor: Principal, agentId: string, patch: AgentPatch, now = Date.now()): Promise<Agent> {
    await this.manageable(actor, agentId);
    const fields = await this.checked(actor, patch);
    const updated = await updateRecord<Agent>(this.store, AGENT, scopedKey(actor.tenant, agentId), (agent) => ({
      ...agent,
      ...fields,
      updatedAt: now,
    }));
    if (!updated) throw notFound('agent', agentId);
    return updated.value;
  }

  /** By the owner or an admin. Tasks and conversations that name it stay readable; new ones are refused. */
  async remove(actor: Principal, agentId: string): Promise<void> {
    await this.manageable(actor, agentId);
    await this.store.delete(AGENT, scopedKey(actor.tenant, agentId));
    await this.store.indexRemove(agentsOf(actor.tenant), agentId);
  }

  private async manageable(actor: Principal, agentId: string): Promise<Agent> {
    const agent = await this.get(actor, agentId);
    if (agent.owner !== actor.userId && !(await this.isAdmin(actor))) {
      throw forbidden('only the agent\'s owner or an administrator may change it');
    }
    return agent;
  }

  private async mayUse(principal: Principal, agent: Agent): Promise<boolean> {
    return mayUse(principal, agent, false) || (await this.isAdmin(principal));
  }

  /**
   * The principal's flag, or the stored user's: principals the engine makes for
   * a task's owner (`via: 'system'`) do not carry it.
   */
  private async isAdmin(principal: Principal): Promise<boolean> {
    return principal.admin || (await this.users.get(principal.tenant, principal.userId))?.admin === true;
  }

  /** The fields of `input` that are present, checked; owner and work folder need an admin. */
  private async checked(actor: Principal, input: AgentPatch): Promise<Partial<Agent>> {
    const fields: Partial<Agent> = {};
    if (input.name !== undefined) fields.name = checkText(input.name, 'name', 256);
    if (input.description !== undefined) fields.description = checkText(input.description, 'description', 10_000, 0);
    if (input.systemPrompt !== undefined) fields.systemPrompt = checkText(input.systemPrompt, 'systemPrompt', 200_000, 0);
    if (input.model !== undefined) fields.model = checkText(input.model, 'model', 256);
    if (input.tools !== undefined) fields.tools = checkList(input.tools, 'tools', 64);
    if (input.inputs !== undefined) fields.inputs = checkObject(input.inputs, 'inputs');
    if (input.outputs !== undefined) fields.outputs = checkObject(input.outputs, 'outputs');
    if (input.maxLoops !== undefined) fields.maxLoops = checkLoops(input.maxLoops);
    if (input.settings !== undefined) fields.settings = checkSettings(input.settings);
    if (input.visibility !== undefined) {
      fields.visibility = input.visibility === 'tenant' ? 'tenant' : checkList(input.visibility, 'visibility', 1000);
    }
    const admin = await this.isAdmin(actor);
    if (input.workDir !== undefined) {
      fields.workDir = checkText(input.workDir, 'workDir', 4096);
      if (!admin && !(await this.workDirs?.contains(fields.workDir))) {
        throw forbidden('only an administrator may set an agent\'s work folder outside the allowed roots');
      }
    }
    if (input.owner !== undefined && input.owner !== actor.userId) {
      if (!admin) throw forbidden('only an administrator may give an agent another owner');
      fields.owner = (await this.users.existing(actor.tenant, input.owner)).id;
    } else if (input.owner !== undefined) fields.owner = actor.userId;
    return fields;
  }
}

function mayUse(principal: Principal, agent: Agent, admin: boolean): boolean {
  if (agent.tenant !== principal.tenant) return false;
  const { visibility = 'tenant' } = agent;
  return admin || visibility === 'tenant' || agent.owner === principal.userId || visibility.includes(principal.userId);
}

function sameContent(a: Agent, b: Agent): boolean {
  return JSON.stringify({ ...a, updatedAt: 0 }) === JSON.stringify({ ...b, updatedAt: 0 });
}

function checkList(value: string[], field: string, max: number): string[] {
  if (!Array.isArray(value) || value.length > max || !value.every((item) => typeof item === 'string' && item.length > 0 && item.length <= 256)) {
    throw invalid(`${field} must be a list of at most ${max} non-empty strings`, { field });
  }
  return [...new Set(value)];
}

function checkObject(value: Record<string, unknown>, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${field} must be an object`, { field });
  return value;
}

/** An object of at most 64 KiB as JSON: settings live inside the agent record. */
function checkSettings(value: Record<string, unknown>): Record<string, unknown> {
  checkObject(value, 'settings');
  if (JSON.stringify(value).length > 65_536) throw invalid('settings must be at most 64 KiB as JSON', { field: 'settings' });
  return value;
}

function checkLoops(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 100) throw invalid('maxLoops must be an integer from 1 to 100', { field: 'maxLoops' });
  return value;
}
