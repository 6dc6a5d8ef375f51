import type { IndexPage, Store } from '../store/store.js';
import { conflict, forbidden, invalid, notFound, quote } from './errors.js';
import { newId } from './ids.js';
import { updateRecord } from './record-update.js';
import type { Principal, User } from './records.js';
import { hashPassword, verifyPassword } from './secrets.js';
import { scopedKey, userKey } from './keys.js';
import { UserEmailIndex } from './user-email-index.js';

const C = { user: 'user', username: 'username' } as const;
/** The collection of user records, each keyed by its `userKey`. */
export const USER_RECORDS = C.user;
const usersOf = (tenant: string) => `users:${tenant}`;
/** Users the config declared at some boot (members are `scopedKey`s), so a later boot can tell who left it. */
const CONFIG_USERS = 'config-users';
export { userKey } from './keys.js';


export function parseScopedKey(key: string): { tenant: string; name: string } {
  const [tenant = '', name = ''] = key.split('/');
  return { tenant: decodeURIComponent(tenant), name: decodeURIComponent(name) };
}

/** Every member of a listing, a page at a time. */
export async function allMembers(store: Store, list: string): Promise<string[]> {
  const members: string[] = [];
  for (let offset = 0; ; offset += LIST_PAGE) {
    const page = await store.indexRange(list, { offset, limit: LIST_PAGE });
    members.push(...page.members);
    if (page.members.length < LIST_PAGE) return members;
  }
}
const LIST_PAGE = 500;

// ---- input checks shared by the directory's services --------------------------
const ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** Ids chosen by clients end up in URLs and store keys: a short, plain alphabet. */
export function checkId(value: string, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw invalid(`${field} must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`, { field });
  }
  return value;
}

export function checkText(value: string, field: string, max: number, min = 1): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalid(`${field} must be a string of ${min}-${max} characters`, { field });
  }
  return value;
}

export function requireAdmin(actor: Principal): void {
  if (!actor.admin) throw forbidden('administrator rights required');
}

/** Long enough to resist guessing, short enough that hashing it is not a denial of service. */
const checkPassword = (password: string, field: string) => checkText(password, field, 1024, 8);
const checkEmail = (email: string) => {
  if (!checkText(email, 'email', 320).includes('@')) throw invalid('email must contain "@"', { field: 'email' });
  return email;
};

/** A user as admins see it: never the password hashes. */
export type UserView = Omit<User, 'passwordHash' | 'configPasswordHash'> & { hasPassword: boolean };
export function viewOf({ passwordHash, configPasswordHash: _config, ...user }: User): UserView {
  return { ...user, hasPassword: passwordHash !== undefined };
}

export interface NewUser {
  /** Generated when absent. */
  id?: string;
  username: string;
  email?: string;
  admin?: boolean;
  password?: string;
}

export interface UserPatch {
  username?: string;
  /** `null` removes it. */
  email?: string | null;
  admin?: boolean;
}

/** What of a user a verified credential vouches for: a change to any of it must reach the credential caches. */
function sameProof(a: User, b: User): boolean {
  return a.username === b.username && a.admin === b.admin && a.passwordHash === b.passwordHash;
}

/**
 * User records and their usernames. A username is claimed by a record of its
 * own (`username` keyed by tenant + name), written with `ifVersion`, so two
 * users of one tenant never hold the same name even across instances.
 * `proofChanged` runs after every write that can change what a credential
 * of the user proves (removal, username, admin flag, password).
 */
export class Users {
  private readonly emails: UserEmailIndex;

  constructor(
    private readonly store: Store,
    private readonly proofChanged: () => Promise<void>,
  ) {
    this.emails = new UserEmailIndex(store, (tenant, userId) => this.get(tenant, userId));
  }

  async get(tenant: string, userId: string): Promise<User | undefined> {
    return (await this.store.get<User>(C.user, userKey(tenant, userId)))?.value;
  }

  async findByUsername(tenant: string, username: string): Promise<User | undefined> {
    const userId = (await this.store.get<string>(C.username, scopedKey(tenant, username)))?.value;
    const user = userId ? await this.get(tenant, userId) : undefined;
    // A claim left behind by an interrupted rename does not name its user any more.
    return user?.username === username ? user : undefined;
  }

  /**
   * The tenant's user with this email (compared lower-cased), the oldest when
   * several share it: one listing read and a record read per match, never a
   * walk over the tenant's users.
   */
  async findByEmail(tenant: string, email: string): Promise<User | undefined> {
    return this.emails.find(tenant, email, () => allMembers(this.store, usersOf(tenant)));
  }

  /** Writes a user as given (bootstrap, first sight); a username held by another user is a conflict. */
  async put(user: User): Promise<void> {
    const previous = await this.get(user.tenant, user.id);
    await this.claimUsername(user.tenant, user.username, user.id);
    await this.emails.add(user);
    await this.store.put(C.user, userKey(user.tenant, user.id), user);
    if (previous && !sameProof(previous, user)) await this.proofChanged();
    if (previous && previous.username !== user.username) await this.releaseUsername(user.tenant, previous.username, user.id);
    await this.emails.drop(user.tenant, user.id, previous?.email, user.email);
    await this.store.indexAdd(usersOf(user.tenant), user.id, user.createdAt);
    if (user.source === 'config') await this.store.indexAdd(CONFIG_USERS, scopedKey(user.tenant, user.id), user.createdAt);
  }

  /**
   * Creates the user when it does not exist yet (first sight of a tenant's user
   * id). Its username is the unclaimed `tenant/id`: such users log in only
   * through their tenant's API key.
   */
  async ensure(tenant: string, userId: string, now = Date.now()): Promise<User> {
    const existing = await this.get(tenant, userId);
    if (existing) return existing;
    const user: User = { tenant, id: userId, username: userKey(tenant, userId), admin: false, source: 'runtime', createdAt: now };
    if (!(await this.store.put(C.user, userKey(tenant, userId), user, { ifVersion: 0 }))) return (await this.get(tenant, userId)) ?? user;
    await this.store.indexAdd(usersOf(tenant), userId, now);
    return user;
  }

  async create(actor: Principal, input: NewUser, now = Date.now()): Promise<UserView> {
    requireAdmin(actor);
    const { tenant } = actor;
    const id = input.id === undefined ? newId('user') : checkId(input.id, 'id');
    const username = checkText(input.username, 'username', 128);
    const email = input.email === undefined ? undefined : checkEmail(input.email);
    // Hashed before anything is claimed: the slow step never holds a name.
    const passwordHash = input.password === undefined ? undefined : await hashPassword(checkPassword(input.password, 'password'));
    if (await this.get(tenant, id)) throw conflict(`user ${quote(id)} already exists`, { field: 'id' });
    await this.claimUsername(tenant, username, id);
    const user: User = { tenant, id, username, email, admin: input.admin ?? false, passwordHash, source: 'runtime', createdAt: now };
    await this.emails.add(user);
    if (!(await this.store.put(C.user, userKey(tenant, id), user, { ifVersion: 0 }))) {
      throw conflict(`user ${quote(id)} already exists`, { field: 'id' });
    }
    await this.store.indexAdd(usersOf(tenant), id, now);
    return viewOf(user);
  }

  async update(actor: Principal, userId: string, patch: UserPatch): Promise<UserView> {
    requireAdmin(actor);
    const current = await this.existing(actor.tenant, userId);
    const username = patch.username === undefined ? current.username : checkText(patch.username, 'username', 128);
    if (patch.email != null) checkEmail(patch.email);
    if (username !== current.username) await this.claimUsername(actor.tenant, username, userId);
    if (patch.email != null) await this.emails.add({ ...current, email: patch.email });
    let previousEmail: string | undefined;
    const updated = await updateRecord<User>(this.store, C.user, userKey(actor.tenant, userId), (user) => {
      previousEmail = user.email;
      const next: User = { ...user, username, admin: patch.admin ?? user.admin };
      if (patch.email === null) delete next.email;
      else if (patch.email !== undefined) next.email = patch.email;
      return next;
    });
    if (!updated) throw notFound('user', userId);
    if (username !== current.username) await this.releaseUsername(actor.tenant, current.username, userId);
    await this.emails.drop(actor.tenant, userId, previousEmail, updated.value.email);
    if (!sameProof(current, updated.value)) await this.proofChanged();
    return viewOf(updated.value);
  }

  async list(actor: Principal, page: IndexPage): Promise<{ items: UserView[]; total: number }> {
    requireAdmin(actor);
    const { members, total } = await this.store.indexRange(usersOf(actor.tenant), page);
    const items: UserView[] = [];
    for (const id of members) {
      const user = await this.get(actor.tenant, id);
      if (user) items.push(viewOf(user));
    }
    return { items, total };
  }

  /** An admin's view of one user of their tenant. */
  async view(actor: Principal, userId: string): Promise<UserView> {
    requireAdmin(actor);
    return viewOf(await this.existing(actor.tenant, userId));
  }

  /** Removes the record, its username and its listings; credentials are the caller's to revoke. */
  async remove(tenant: string, userId: string): Promise<void> {
    const user = await this.get(tenant, userId);
    await this.store.delete(C.user, userKey(tenant, userId));
    if (user) {
      await this.proofChanged();
      await this.releaseUsername(tenant, user.username, userId);
      await this.emails.drop(tenant, userId, user.email, undefined);
    }
    await this.store.indexRemove(usersOf(tenant), userId);
    await this.store.indexRemove(CONFIG_USERS, scopedKey(tenant, userId));
  }

  async existing(tenant: string, userId: string): Promise<User> {
    const user = await this.get(tenant, userId);
    if (!user) throw notFound('user', userId);
    return user;
  }

  /** Users the config declared at some boot and that were not removed since. */
  async declaredByConfig(): Promise<{ tenant: string; userId: string }[]> {
    return (await allMembers(this.store, CONFIG_USERS)).map(parseScopedKey).map(({ tenant, name }) => ({ tenant, userId: name }));
  }

  // ---- passwords ---------------------------------------------------------------
  /** The user a username + password proves. Always spends the KDF time, found or not. */
  async verifyLogin(tenant: string, username: string, password: string): Promise<User | undefined> {
    const user = await this.findByUsername(tenant, username);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    return user?.passwordHash && ok ? user : undefined;
  }

  /** The user's own change: proves the current password first. */
  async changePassword(actor: Principal, current: string, next: string): Promise<void> {
    const user = await this.existing(actor.tenant, actor.userId);
    const ok = await verifyPassword(current, user.passwordHash ?? DUMMY_HASH);
    if (!user.passwordHash || !ok) throw forbidden('the current password is incorrect');
    const hash = await hashPassword(checkPassword(next, 'new_password'));
    await this.setPasswordHash(actor.tenant, actor.userId, hash, user.passwordHash);
  }

  /** An admin sets a user's password without knowing the old one. */
  async resetPassword(actor: Principal, userId: string, password: string): Promise<void> {
    requireAdmin(actor);
    await this.existing(actor.tenant, userId);
    await this.setPasswordHash(actor.tenant, userId, await hashPassword(checkPassword(password, 'password')));
  }

  async clearPassword(tenant: string, userId: string): Promise<void> {
    await this.setPasswordHash(tenant, userId, undefined);
  }

  /** With `expected`, refuses when the hash changed since it was checked (a concurrent change or reset). */
  private async setPasswordHash(tenant: string, userId: string, hash: string | undefined, expected?: string): Promise<void> {
    const updated = await updateRecord<User>(this.store, C.user, userKey(tenant, userId), (user) => {
      if (expected !== undefined && user.passwordHash !== expected) throw conflict('the password changed meanwhile; try again');
      if (user.passwordHash === hash) return undefined;
      const next = { ...user, passwordHash: hash };
      if (hash === undefined) delete next.passwordHash;
      return next;
    });
    if (!updated) throw notFound('user', userId);
    if (updated.changed) await this.proofChanged();
  }

  // ---- usernames ---------------------------------------------------------------
  /**
   * Takes `username` for `userId`. A claim whose user is gone or now has another
   * name is stale (an interrupted rename or delete) and is taken over.
   */
  private async claimUsername(tenant: string, username: string, userId: string): Promise<void> {
    const key = scopedKey(tenant, username);
    for (let attempt = 0; attempt < 10; attempt++) {
      const held = await this.store.get<string>(C.username, key);
      if (held?.value === userId) return;
      if (held?.value && (await this.get(tenant, held.value))?.username === username) {
        throw conflict(`username ${quote(username)} is taken`, { field: 'username' });
      }
      if (await this.store.put(C.username, key, userId, { ifVersion: held?.version ?? 0 })) return;
    }
    throw conflict(`username ${quote(username)} is being taken by another request`, { field: 'username' });
  }

  /**
   * Frees a name this user holds. Written as an empty claim with `ifVersion`
   * rather than deleted, so a claim another user took meanwhile is never removed.
   */
  private async releaseUsername(tenant: string, username: string, userId: string): Promise<void> {
    const key = scopedKey(tenant, username);
    const held = await this.store.get<string>(C.username, key);
    if (held?.value === userId) await this.store.put(C.username, key, '', { ifVersion: held.version });
  }
}

/** A valid scrypt hash of a random string, so unknown usernames cost as much as wrong passwords. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
