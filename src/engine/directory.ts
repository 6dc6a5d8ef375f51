import type { Store } from '../store/store.js';
import { forbidden, notFound, unauthenticated } from './errors.js';
import type { Agent, Credential, Principal, Tenant, User } from './records.js';
import { safeEqual, sha256, verifyPassword } from './secrets.js';

/** Record collections and listings this module owns. */
const C = { tenant: 'tenant', user: 'user', cred: 'cred', username: 'username', agent: 'agent' } as const;
const agentsOf = (tenant: string) => `agents:${tenant}`;
export const userKey = (tenant: string, userId: string) => `${tenant}/${userId}`;

/**
 * Tenants, users, credentials and agents: who may ask, and what they may ask
 * for. Credentials are looked up by the SHA-256 of the presented secret, so the
 * secret itself is never stored and never compared in variable time.
 */
export class Directory {
  constructor(private readonly store: Store) {}

  // ---- tenants and users ---------------------------------------------------
  async putTenant(tenant: Tenant): Promise<void> {
    await this.store.put(C.tenant, tenant.code, tenant);
  }

  async getTenant(code: string): Promise<Tenant | undefined> {
    return (await this.store.get<Tenant>(C.tenant, code))?.value;
  }

  async putUser(user: User): Promise<void> {
    const previous = await this.getUser(user.tenant, user.id);
    if (previous && previous.username !== user.username) await this.store.delete(C.username, previous.username);
    await this.store.put(C.user, userKey(user.tenant, user.id), user);
    await this.store.put(C.username, user.username, userKey(user.tenant, user.id));
  }

  /** Creates the user when it does not exist yet (first sight of a tenant's user id); returns it either way. */
  async ensureUser(tenant: string, userId: string, now = Date.now()): Promise<User> {
    const existing = await this.getUser(tenant, userId);
    if (existing) return existing;
    const user: User = { tenant, id: userId, username: userKey(tenant, userId), admin: false, createdAt: now };
    const created = await this.store.put(C.user, userKey(tenant, userId), user, { ifVersion: 0 });
    return created ? user : ((await this.getUser(tenant, userId)) ?? user);
  }

  async getUser(tenant: string, userId: string): Promise<User | undefined> {
    return (await this.store.get<User>(C.user, userKey(tenant, userId)))?.value;
  }

  async findUserByUsername(username: string): Promise<User | undefined> {
    const key = (await this.store.get<string>(C.username, username))?.value;
    if (!key) return undefined;
    return (await this.store.get<User>(C.user, key))?.value;
  }

  principalOf(user: User, via: Principal['via']): Principal {
    return { tenant: user.tenant, userId: user.id, username: user.username, admin: user.admin, via };
  }

  // ---- credentials -----------------------------------------------------------
  async putCredential(secret: string, credential: Credential): Promise<void> {
    await this.store.put(C.cred, sha256(secret), credential);
  }

  /** The credential a presented secret proves, if any. */
  async findCredential(secret: string, kind: Credential['kind']): Promise<Credential | undefined> {
    const credential = (await this.store.get<Credential>(C.cred, sha256(secret)))?.value;
    return credential && safeEqual(credential.kind, kind) ? credential : undefined;
  }

  /** A user's static bearer token → their principal; unknown tokens are refused. */
  async authenticateToken(token: string): Promise<Principal> {
    const credential = await this.findCredential(token, 'token');
    const user = credential?.userId ? await this.getUser(credential.tenant, credential.userId) : undefined;
    if (!user) throw unauthenticated('invalid token');
    return this.principalOf(user, 'token');
  }

  /** A tenant API key → the tenant it belongs to. */
  async authenticateApiKey(key: string): Promise<Tenant> {
    const credential = await this.findCredential(key, 'api_key');
    const tenant = credential ? await this.getTenant(credential.tenant) : undefined;
    if (!tenant) throw unauthenticated('invalid API key');
    return tenant;
  }

  /** Username + password → principal. Always spends the KDF time, found or not. */
  async authenticatePassword(username: string, password: string): Promise<Principal> {
    const user = await this.findUserByUsername(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !user.passwordHash || !ok) throw unauthenticated('invalid username or password');
    return this.principalOf(user, 'password');
  }

  // ---- agents ------------------------------------------------------------------
  async putAgent(agent: Agent): Promise<void> {
    await this.store.put(C.agent, agent.id, agent);
    await this.store.indexAdd(agentsOf(agent.tenant), agent.id, agent.createdAt);
  }

  /** An agent of the principal's tenant; another tenant's agent is "not found", never "forbidden". */
  async getAgent(principal: Principal, agentId: string): Promise<Agent> {
    const agent = (await this.store.get<Agent>(C.agent, agentId))?.value;
    if (!agent || agent.tenant !== principal.tenant) throw notFound('agent', agentId);
    return agent;
  }

  async listAgents(principal: Principal, page: { offset: number; limit: number }): Promise<{ items: Agent[]; total: number }> {
    const { members, total } = await this.store.indexRange(agentsOf(principal.tenant), page);
    const items: Agent[] = [];
    for (const id of members) {
      const agent = (await this.store.get<Agent>(C.agent, id))?.value;
      if (agent) items.push(agent);
    }
    return { items, total };
  }

  /** Every agent of a tenant (small lists: config-declared agents). */
  async allAgents(principal: Principal): Promise<Agent[]> {
    return (await this.listAgents(principal, { offset: 0, limit: 10_000 })).items;
  }

  assertAdmin(principal: Principal): void {
    if (!principal.admin) throw forbidden('administrator rights required');
  }
}

/** A valid scrypt hash of a random string, so unknown usernames cost as much as wrong passwords. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
