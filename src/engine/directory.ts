import { randomBytes } from 'node:crypto';
import type { IndexPage, RecordLink, Store } from '../store/store.js';
import type { WorkDirs } from './work-dirs.js';
import { Agents, type AgentPatch, type NewAgent } from './agents.js';
import { unauthenticated } from './errors.js';
import type { Agent, Credential, Principal, Tenant, User } from './records.js';
import { safeEqual, sha256 } from './secrets.js';
import { scopedKey, userKey } from './keys.js';
import { allMembers, requireAdmin, USER_RECORDS, Users, type NewUser, type UserPatch, type UserView } from './users.js';

export { userKey } from './users.js';

/** Record collections and listings this module owns. */
const C = { tenant: 'tenant', cred: 'cred' } as const;
/** Hashes of a user's credentials, so revoking them all misses none. */
const credsOf = (tenant: string, userId: string) => `creds:${scopedKey(tenant, userId)}`;
/** Hashes of credentials the config declared, so a later boot can revoke the ones it dropped. */
const CONFIG_CREDS = 'config-creds';
/**
 * A credential as stored: a token's also holds the id of its user's record,
 * so authenticating reads the credential and the user in one `getLinked`.
 * Tokens an older version stored have none, and their user is read on its own.
 */
type StoredCredential = Credential & { userKey?: string };
/** From a credential to what it proves: a token's user, an API key's tenant (`tenant` is that record's id). */
const TO_USER: RecordLink = { collection: USER_RECORDS, field: 'userKey' satisfies keyof StoredCredential };
const TO_TENANT: RecordLink = { collection: C.tenant, field: 'tenant' satisfies keyof Credential };
/** Store channel telling every instance that a credential may now prove something else, or nothing. */
const PROOF_CHANNEL = 'credential-proof-changed';

/**
 * Tenants, users, credentials and agents: who may ask, and what they may ask
 * for. Credentials are looked up by the SHA-256 of the presented secret, so the
 * secret itself is never stored and never compared in variable time.
 */
/** Ends every login of a user (their sessions, their refresh tokens): registered by the services that hold them. */
export type EndLogins = (tenant: string, userId: string) => Promise<unknown>;
/** Removes what a removed user owned (conversations, tasks, files): registered by the services that hold it. */
export type RemoveUserData = (tenant: string, userId: string) => Promise<unknown>;

export class Directory {
  private readonly users: Users;
  private readonly agents: Agents;
  private readonly loginEnders: EndLogins[] = [];
  private readonly dataRemovers: RemoveUserData[] = [];
  private readonly proofListeners = new Set<() => void>();

  /** With `workDirs`, any user may give an agent a work folder inside its roots (else only admins may set one). */
  constructor(
    private readonly store: Store,
    workDirs?: WorkDirs,
  ) {
    this.users = new Users(store, () => this.proofChanged());
    this.agents = new Agents(store, this.users, workDirs);
  }

  /**
   * `listener` runs after every directory write that can change what a
   * credential proves (a token or API key revoked or given to someone else,
   * a user removed, renamed, made or unmade admin, a password changed, a
   * tenant changed): at once for a write on this instance, through the
   * store for one on any other. What it hears is only that something
   * changed, never what. Returns a function that stops it.
   */
  onProofChanged(listener: () => void): () => void {
    // Wrapped, so one function may be added twice and each removed alone.
    const local = (): void => listener();
    this.proofListeners.add(local);
    const unlisten = this.store.listen(PROOF_CHANNEL, local);
    return () => {
      this.proofListeners.delete(local);
      unlisten();
    };
  }

  /** After such a write: this instance's listeners at once, every other instance's through the store. */
  private async proofChanged(): Promise<void> {
    for (const listener of [...this.proofListeners]) listener();
    await this.store.publish(PROOF_CHANNEL, '');
  }

  /** `end` runs for each user that is removed or whose password is changed or reset. */
  onLoginsEnd(end: EndLogins): void {
    this.loginEnders.push(end);
  }

  /** `remove` runs for each user that is removed, once their record and credentials are gone. */
  onUserRemoved(remove: RemoveUserData): void {
    this.dataRemovers.push(remove);
  }

  private async endLogins(tenant: string, userId: string): Promise<void> {
    for (const end of this.loginEnders) await end(tenant, userId);
  }

  // ---- tenants -------------------------------------------------------------------
  async putTenant(tenant: Tenant): Promise<void> {
    const previous = await this.getTenant(tenant.code);
    await this.store.put(C.tenant, tenant.code, tenant);
    // A verified API key vouches for the tenant record as it was.
    if (previous && (previous.name !== tenant.name || previous.createdAt !== tenant.createdAt)) await this.proofChanged();
  }

  async getTenant(code: string): Promise<Tenant | undefined> {
    return (await this.store.get<Tenant>(C.tenant, code))?.value;
  }

  // ---- users (engine-internal: no access checks) -----------------------------------
  /** Writes a user as given (bootstrap); a username another user of the tenant holds is a conflict. */
  putUser(user: User): Promise<void> {
    return this.users.put(user);
  }

  /** Creates the user when it does not exist yet (first sight of a tenant's user id); returns it either way. */
  ensureUser(tenant: string, userId: string, now = Date.now()): Promise<User> {
    return this.users.ensure(tenant, userId, now);
  }

  getUser(tenant: string, userId: string): Promise<User | undefined> {
    return this.users.get(tenant, userId);
  }

  /** Usernames are unique per tenant, so a lookup names the tenant. */
  findUserByUsername(tenant: string, username: string): Promise<User | undefined> {
    return this.users.findByUsername(tenant, username);
  }

  /** The tenant's user with this email, compared case-insensitively (the oldest when several share it). */
  findUserByEmail(tenant: string, email: string): Promise<User | undefined> {
    return this.users.findByEmail(tenant, email);
  }

  principalOf(user: User, via: Principal['via']): Principal {
    return { tenant: user.tenant, userId: user.id, username: user.username, admin: user.admin, via };
  }

  /**
   * Removes a user, every credential it holds and (through `onUserRemoved`)
   * their data (boot: a user the config dropped). The record goes first, so a
   * credential a concurrent writer adds meanwhile proves no one.
   */
  async removeUser(tenant: string, userId: string): Promise<void> {
    await this.users.remove(tenant, userId);
    await this.revokeUserCredentials(tenant, userId);
    for (const remove of this.dataRemovers) await remove(tenant, userId);
  }

  /** Users the config declared at some boot and that were not removed since. */
  configUsers(): Promise<{ tenant: string; userId: string }[]> {
    return this.users.declaredByConfig();
  }

  // ---- user management (admins of the actor's tenant) ------------------------------
  // Every method works in `actor.tenant` alone: another tenant's user id is "not found".
  createUser(actor: Principal, input: NewUser, now = Date.now()): Promise<UserView> {
    return this.users.create(actor, input, now);
  }

  updateUser(actor: Principal, userId: string, patch: UserPatch): Promise<UserView> {
    return this.users.update(actor, userId, patch);
  }

  viewUser(actor: Principal, userId: string): Promise<UserView> {
    return this.users.view(actor, userId);
  }

  listUsers(actor: Principal, page: IndexPage): Promise<{ items: UserView[]; total: number }> {
    return this.users.list(actor, page);
  }

  async deleteUser(actor: Principal, userId: string): Promise<void> {
    requireAdmin(actor);
    await this.users.existing(actor.tenant, userId);
    await this.removeUser(actor.tenant, userId);
  }

  /** The user's own change; the current password must be right (`forbidden` otherwise). Ends every login of the user. */
  async changePassword(actor: Principal, currentPassword: string, newPassword: string): Promise<void> {
    await this.users.changePassword(actor, currentPassword, newPassword);
    await this.endLogins(actor.tenant, actor.userId);
  }

  /** An admin's reset; ends every login of the user. */
  async resetPassword(actor: Principal, userId: string, password: string): Promise<void> {
    await this.users.resetPassword(actor, userId, password);
    await this.endLogins(actor.tenant, userId);
  }

  // ---- credentials -----------------------------------------------------------------
  async putCredential(secret: string, credential: Credential): Promise<void> {
    await this.storeCredential(sha256(secret), credential);
  }

  /** The credential a presented secret proves, if any. */
  async findCredential(secret: string, kind: Credential['kind']): Promise<Credential | undefined> {
    return ofKind((await this.store.get<Credential>(C.cred, sha256(secret)))?.value, kind);
  }

  /** A new static bearer token for a user: their own, or any user of the tenant for an admin. Shown once. */
  async issueToken(actor: Principal, userId = actor.userId, now = Date.now()): Promise<string> {
    if (userId !== actor.userId) requireAdmin(actor);
    await this.users.existing(actor.tenant, userId);
    const token = `sbt_${randomBytes(32).toString('base64url')}`;
    await this.storeCredential(sha256(token), { kind: 'token', tenant: actor.tenant, userId, source: 'runtime', createdAt: now });
    return token;
  }

  /** Revokes one credential by the hash of its secret (revoking an absent one is not an error). */
  async revokeCredentialHash(hash: string): Promise<void> {
    if (await this.deleteCredential(hash)) await this.proofChanged();
  }

  /**
   * Revokes everything that proves the user: static tokens, password, and
   * (through `onLoginsEnd`) their sessions and refresh tokens.
   */
  async revokeUserCredentials(tenant: string, userId: string): Promise<void> {
    await this.endLogins(tenant, userId);
    let revoked = false;
    for (const hash of await allMembers(this.store, credsOf(tenant, userId))) {
      const credential = (await this.store.get<Credential>(C.cred, hash))?.value;
      // A token the config has since given to another user is theirs now.
      if (credential?.tenant === tenant && credential.userId === userId) revoked = (await this.deleteCredential(hash)) || revoked;
      else await this.store.indexRemove(credsOf(tenant, userId), hash);
    }
    // One signal for all of them.
    if (revoked) await this.proofChanged();
    if (await this.users.get(tenant, userId)) await this.users.clearPassword(tenant, userId);
  }

  /** Deletes a credential and its listing entries; true when there was one. */
  private async deleteCredential(hash: string): Promise<boolean> {
    const credential = (await this.store.get<Credential>(C.cred, hash))?.value;
    await this.store.delete(C.cred, hash);
    if (credential?.userId) await this.store.indexRemove(credsOf(credential.tenant, credential.userId), hash);
    await this.store.indexRemove(CONFIG_CREDS, hash);
    return credential !== undefined;
  }

  /** Hashes of the credentials the config declared at some boot and that were not revoked since. */
  configCredentialHashes(): Promise<string[]> {
    return allMembers(this.store, CONFIG_CREDS);
  }

  /**
   * Stores a credential and keeps its listings right: the owner's (indexed
   * before the record exists, so no live credential is ever missing from it)
   * and the config's. An unchanged credential keeps its `createdAt`.
   */
  private async storeCredential(hash: string, credential: Credential): Promise<void> {
    const previous = (await this.store.get<Credential>(C.cred, hash))?.value;
    const sameOwner = previous?.kind === credential.kind && previous.tenant === credential.tenant && previous.userId === credential.userId;
    const next: StoredCredential = { ...credential, createdAt: sameOwner ? previous.createdAt : credential.createdAt };
    if (credential.userId) {
      next.userKey = userKey(credential.tenant, credential.userId);
      await this.store.indexAdd(credsOf(credential.tenant, credential.userId), hash, next.createdAt);
    }
    await this.store.put(C.cred, hash, next);
    // Issued over a credential of another owner or kind: what the secret proved is no longer so.
    if (previous && !sameOwner) await this.proofChanged();
    if (previous?.userId && !sameOwner) await this.store.indexRemove(credsOf(previous.tenant, previous.userId), hash);
    if (credential.source === 'config') await this.store.indexAdd(CONFIG_CREDS, hash, next.createdAt);
    else await this.store.indexRemove(CONFIG_CREDS, hash);
  }

  // ---- authentication ----------------------------------------------------------------
  /** A user's static bearer token → their principal; unknown tokens are refused. */
  async authenticateToken(token: string): Promise<Principal> {
    const { record, linked } = await this.store.getLinked<StoredCredential, User>(C.cred, sha256(token), TO_USER);
    const credential = ofKind(record?.value, 'token');
    const user = credential && (await this.userOfToken(credential, linked?.value));
    if (!user) throw unauthenticated('invalid token');
    return this.principalOf(user, 'token');
  }

  /** The user a token's credential names: the linked record, or a read of its own when the credential names no record (an older version's) or another one. */
  private async userOfToken(credential: StoredCredential, linked: User | undefined): Promise<User | undefined> {
    if (!credential.userId) return undefined;
    const key = userKey(credential.tenant, credential.userId);
    return credential.userKey === key ? linked : this.getUser(credential.tenant, credential.userId);
  }

  /** A tenant API key → the tenant it belongs to. */
  async authenticateApiKey(key: string): Promise<Tenant> {
    const { record, linked } = await this.store.getLinked<Credential, Tenant>(C.cred, sha256(key), TO_TENANT);
    const tenant = ofKind(record?.value, 'api_key') && linked?.value;
    if (!tenant) throw unauthenticated('invalid API key');
    return tenant;
  }

  /** Tenant + username + password → principal. Always spends the KDF time, found or not. */
  async authenticatePassword(tenant: string, username: string, password: string): Promise<Principal> {
    const user = await this.users.verifyLogin(tenant, username, password);
    if (!user) throw unauthenticated('invalid username or password');
    return this.principalOf(user, 'password');
  }

  // ---- agents --------------------------------------------------------------------------
  /** Writes an agent as given (bootstrap), keyed by its tenant + id. */
  putAgent(agent: Agent): Promise<void> {
    return this.agents.put(agent);
  }

  /** An agent the principal may use; any other (another tenant's, a restricted one) is "not found". */
  getAgent(principal: Principal, agentId: string): Promise<Agent> {
    return this.agents.get(principal, agentId);
  }

  /** The agents the principal may use, oldest first; `total` counts those alone. */
  listAgents(principal: Principal, page: IndexPage): Promise<{ items: Agent[]; total: number }> {
    return this.agents.list(principal, page);
  }

  /** Every agent the principal may use (small lists). */
  async allAgents(principal: Principal): Promise<Agent[]> {
    return (await this.agents.list(principal, { offset: 0, limit: 10_000 })).items;
  }

  /** Any user may create an agent, which they then own; ids are unique within the tenant (`conflict`). */
  createAgent(actor: Principal, input: NewAgent, now = Date.now()): Promise<Agent> {
    return this.agents.create(actor, input, now);
  }

  /** By the owner or an admin (`forbidden` for others who can see it, `not_found` for those who cannot). */
  updateAgent(actor: Principal, agentId: string, patch: AgentPatch, now = Date.now()): Promise<Agent> {
    return this.agents.update(actor, agentId, patch, now);
  }

  deleteAgent(actor: Principal, agentId: string): Promise<void> {
    return this.agents.remove(actor, agentId);
  }

  assertAdmin(principal: Principal): void {
    requireAdmin(principal);
  }
}

/** The credential when it is of `kind`, compared in constant time. */
function ofKind<T extends Credential>(credential: T | undefined, kind: Credential['kind']): T | undefined {
  return credential && safeEqual(credential.kind, kind) ? credential : undefined;
}
