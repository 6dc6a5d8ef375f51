import type { Store } from '../store/store.js';
import { scopedKey } from './keys.js';
import type { User } from './records.js';

/**
 * The ids of a tenant's users with one email (lower-cased). A listing, not a
 * unique claim: the directory does not require emails to be unique, and each
 * member is checked against its record when read, so an entry a race left
 * behind never names the wrong user.
 */
const withEmail = (tenant: string, email: string) => `user-emails:${scopedKey(tenant, email.toLowerCase())}`;
/** Marks a tenant whose users are all in the index (see `ensureBuilt`). */
const INDEX_BUILT = 'user-email-index';
/** More users than this sharing one email are not looked through. */
const EMAIL_MATCHES = 50;

type ReadUser = (tenant: string, userId: string) => Promise<User | undefined>;

/**
 * Users by email, so a login by email reads one listing and a record per
 * match, never every user of the tenant. Entries are added before the record
 * names the email and removed after it stops, so a live user is never
 * missing from its listing; an extra entry is harmless.
 */
export class UserEmailIndex {
  /** Tenants whose users this instance saw indexed (see `ensureBuilt`). */
  private readonly built = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly readUser: ReadUser,
  ) {}

  /** The tenant's user with this email (compared lower-cased), the oldest when several share it. */
  async find(tenant: string, email: string, allIds: () => Promise<string[]>): Promise<User | undefined> {
    const wanted = email.trim().toLowerCase();
    if (!wanted) return undefined;
    await this.ensureBuilt(tenant, allIds);
    const { members } = await this.store.indexRange(withEmail(tenant, wanted), { offset: 0, limit: EMAIL_MATCHES });
    for (const id of members) {
      const user = await this.readUser(tenant, id);
      if (user?.email?.toLowerCase() === wanted) return user;
    }
    return undefined;
  }

  async add(user: Pick<User, 'tenant' | 'id' | 'email' | 'createdAt'>): Promise<void> {
    if (user.email) await this.store.indexAdd(withEmail(user.tenant, user.email), user.id, user.createdAt);
  }

  /**
   * Drops the user from the listing of an email it no longer has. Read again
   * first: a concurrent write may have given the email back meanwhile.
   */
  async drop(tenant: string, userId: string, before: string | undefined, after: string | undefined): Promise<void> {
    if (!before || before.toLowerCase() === after?.toLowerCase()) return;
    if ((await this.readUser(tenant, userId))?.email?.toLowerCase() === before.toLowerCase()) return;
    await this.store.indexRemove(withEmail(tenant, before), userId);
  }

  /**
   * Users written before the directory kept the email index are in no listing:
   * the first lookup in a tenant (per instance) whose data has no mark of a
   * complete index indexes them all once, then marks it. Writes meanwhile
   * index themselves, so the walk racing them can only add harmless entries.
   */
  private async ensureBuilt(tenant: string, allIds: () => Promise<string[]>): Promise<void> {
    if (this.built.has(tenant)) return;
    if (!(await this.store.get<boolean>(INDEX_BUILT, tenant))) {
      for (const id of await allIds()) {
        const user = await this.readUser(tenant, id);
        if (user) await this.add(user);
      }
      await this.store.put(INDEX_BUILT, tenant, true);
    }
    this.built.add(tenant);
  }
}
