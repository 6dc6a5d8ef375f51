import type { Store } from '../store/store.js';
import { scopedKey } from './keys.js';
import type { User } from './records.js';

const IDENTITY = 'upstream-identity';
const identityKey = (tenant: string, issuer: string, subject: string) => scopedKey(tenant, issuer, subject);

interface IdentityRecord {
  userId: string;
}

type ReadUser = (tenant: string, userId: string) => Promise<User | undefined>;

/**
 * Which gateway user an account at an upstream OpenID provider is: one
 * record per (tenant, issuer, subject), claimed with a create-only write, so
 * two first logins of one account at once (two tabs, two instances) end as
 * one user. A link whose user is gone reads as unlinked and is taken over by
 * the next login.
 */
export class UpstreamIdentities {
  constructor(
    private readonly store: Store,
    private readonly readUser: ReadUser,
  ) {}

  /** The user the account is linked to, if it still exists. */
  async userOf(tenant: string, issuer: string, subject: string): Promise<User | undefined> {
    const link = await this.store.get<IdentityRecord>(IDENTITY, identityKey(tenant, issuer, subject));
    return link && (await this.readUser(tenant, link.value.userId));
  }

  /**
   * Links the account to `userId` unless it is linked to a live user already;
   * answers the user it is linked to afterwards (the other one when another
   * login linked it first).
   */
  async link(tenant: string, issuer: string, subject: string, userId: string): Promise<User | undefined> {
    const key = identityKey(tenant, issuer, subject);
    const current = await this.store.get<IdentityRecord>(IDENTITY, key);
    const holder = current && (await this.readUser(tenant, current.value.userId));
    if (holder) return holder;
    if (await this.store.put<IdentityRecord>(IDENTITY, key, { userId }, { ifVersion: current?.version ?? 0 })) return this.readUser(tenant, userId);
    return this.userOf(tenant, issuer, subject);
  }
}
