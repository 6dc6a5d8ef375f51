import type { Store } from '../store/store.js';
import { userKey } from './directory.js';
import { invalid, unauthenticated } from './errors.js';
import { newId } from './ids.js';
import type { Principal } from './records.js';
import { updateRecord } from './record-update.js';
import { sha256 } from './secrets.js';
import { drainIndex, mintSecretToken, parseSecretToken, pruneIndex, secondsUntil, secretMatches } from './login-secrets.js';

/** Record collections and listings this module owns. */
const C = { token: 'refresh', family: 'refresh_family' } as const;
const familiesOf = (tenant: string, userId: string) => `refresh_families:${userKey(tenant, userId)}`;
const tokensOf = (family: string) => `refresh_tokens:${family}`;

export interface RefreshTokenOptions {
  /** How long a token is valid after it is issued (each rotation starts a new one). Default 30 days. */
  ttlSeconds?: number;
  /** Each use answers a new token and retires the old one. Default true. */
  rotation?: boolean;
}

const DEFAULTS: Required<RefreshTokenOptions> = { ttlSeconds: 30 * 24 * 3600, rotation: true };

/** One login: every token rotated from the first shares it. Gone = all of them revoked. */
interface FamilyRecord {
  id: string;
  tenant: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

interface TokenRecord {
  id: string;
  family: string;
  principal: Principal;
  /** SHA-256 of the token's secret part; the secret itself is never stored. */
  secretHash: string;
  issuedAt: number;
  expiresAt: number;
  /** Set when rotated: presenting it again afterwards is reuse. */
  usedAt?: number;
  replacedBy?: string;
}

export interface Redeemed {
  /** The token to use next time (the same one when rotation is off). */
  token: string;
  principal: Principal;
  family: string;
  expiresAt: number;
}

/**
 * Refresh tokens: long-lived, stored hashed, revocable, and (by default)
 * rotated on every use with reuse detection. A rotated token presented again
 * means two parties hold it, so its whole family (the login it came from) is
 * revoked and both have to log in again.
 *
 * Two concurrent rotations of one token: the store's compare-and-set lets
 * exactly one win; the other gets a clean `unauthenticated` and the family
 * stays alive, since both presented the token before it was used (a client
 * retry looks the same). Presenting it after the rotation was recorded is reuse.
 */
export class RefreshTokens {
  private readonly opts: Required<RefreshTokenOptions>;

  constructor(
    private readonly store: Store,
    options: RefreshTokenOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  /** A token for a new login, or (with `family`) one more token of an existing login. */
  async issue(principal: Principal, opts: { family?: string } = {}, now = Date.now()): Promise<string> {
    const family = opts.family ?? newId('rtf');
    const expiresAt = now + this.opts.ttlSeconds * 1000;
    const existing = (await this.store.get<FamilyRecord>(C.family, family))?.value;
    if (existing && (existing.tenant !== principal.tenant || existing.userId !== principal.userId)) {
      throw invalid('that refresh token family belongs to another user');
    }
    const { tenant, userId } = principal;
    const record: FamilyRecord = existing ?? { id: family, tenant, userId, createdAt: now, expiresAt };
    record.expiresAt = Math.max(record.expiresAt, expiresAt);
    // An ended family's tokens are gone by TTL; its listing of them is not.
    await pruneIndex(this.store, familiesOf(tenant, userId), now, (ended) =>
      drainIndex(this.store, tokensOf(ended), async () => undefined),
    );
    await this.store.put(C.family, family, record, { ttlSeconds: secondsUntil(record.expiresAt, now) });
    await this.store.indexAdd(familiesOf(tenant, userId), family, record.expiresAt);
    const minted = mintSecretToken('rt');
    await this.write(minted, principal, family, now);
    return minted.token;
  }

  /**
   * Redeems a token: its principal and the token to use next. Throws
   * `unauthenticated` for an unknown, expired, revoked or reused token.
   */
  async rotate(token: unknown, now = Date.now()): Promise<Redeemed> {
    const parsed = parseSecretToken(token, 'rt');
    const stored = parsed && (await this.store.get<TokenRecord>(C.token, parsed.id));
    if (!parsed || !stored || !secretMatches(parsed.secret, stored.value.secretHash)) throw rejected();
    const current = stored.value;
    const family = (await this.store.get<FamilyRecord>(C.family, current.family))?.value;
    if (!family) throw rejected();
    if (current.usedAt !== undefined) {
      await this.revokeFamily(current.family);
      throw unauthenticated('refresh token was already used; every token of its login is revoked');
    }
    if (now >= current.expiresAt) throw rejected();
    if (!this.opts.rotation) {
      return { token: token as string, principal: current.principal, family: current.family, expiresAt: current.expiresAt };
    }

    const next = mintSecretToken('rt');
    const expiresAt = now + this.opts.ttlSeconds * 1000;
    // Retired, not deleted: kept as long as its successor so that reuse is still recognised.
    const retired: TokenRecord = { ...current, usedAt: now, replacedBy: next.id };
    const won = await this.store.put(C.token, current.id, retired, {
      ifVersion: stored.version,
      ttlSeconds: secondsUntil(expiresAt, now),
    });
    if (!won) throw unauthenticated('refresh token was used concurrently; retry with the token that request received');
    const extended = await updateRecord<FamilyRecord>(
      this.store,
      C.family,
      current.family,
      (f) => ({ ...f, expiresAt: Math.max(f.expiresAt, expiresAt) }),
      // A family's end only moves later, so the one read above bounds it.
      { ttlSeconds: secondsUntil(Math.max(family.expiresAt, expiresAt), now) },
    );
    // Revoked between the check above and now: answer as revoked, leaving nothing behind.
    if (!extended) throw rejected();
    const { tenant, userId } = current.principal;
    await this.store.indexAdd(familiesOf(tenant, userId), current.family, extended.value.expiresAt);
    await this.write(next, current.principal, current.family, now);
    return { token: next.token, principal: current.principal, family: current.family, expiresAt };
  }

  /** Ends the login a token belongs to (logout). False when the token is not a live one. */
  async revoke(token: unknown): Promise<boolean> {
    const parsed = parseSecretToken(token, 'rt');
    const stored = parsed && (await this.store.get<TokenRecord>(C.token, parsed.id));
    if (!parsed || !stored || !secretMatches(parsed.secret, stored.value.secretHash)) return false;
    await this.revokeFamily(stored.value.family);
    return true;
  }

  /**
   * Whether a login (a family) is still live: one record read. What else
   * hangs off the login (its access tokens) asks this to end with it.
   */
  async isLive(family: string, now = Date.now()): Promise<boolean> {
    const record = (await this.store.get<FamilyRecord>(C.family, family))?.value;
    return record !== undefined && now < record.expiresAt;
  }

  /** Revokes every token of one login. Deleting the family record first is what makes it take effect at once. */
  async revokeFamily(family: string): Promise<void> {
    const record = await this.store.get<FamilyRecord>(C.family, family);
    await this.store.delete(C.family, family);
    await drainIndex(this.store, tokensOf(family), (id) => this.store.delete(C.token, id));
    if (record) await this.store.indexRemove(familiesOf(record.value.tenant, record.value.userId), family);
  }

  /** Revokes every login of a user (password change); returns how many families were listed. */
  async revokeAllOf(tenant: string, userId: string): Promise<number> {
    const list = familiesOf(tenant, userId);
    return drainIndex(this.store, list, (family) => this.revokeFamily(family));
  }

  private async write(minted: { id: string; secret: string }, principal: Principal, family: string, now: number) {
    const expiresAt = now + this.opts.ttlSeconds * 1000;
    const record: TokenRecord = { id: minted.id, family, principal, secretHash: sha256(minted.secret), issuedAt: now, expiresAt };
    await pruneIndex(this.store, tokensOf(family), now);
    await this.store.put(C.token, minted.id, record, { ifVersion: 0, ttlSeconds: secondsUntil(expiresAt, now) });
    await this.store.indexAdd(tokensOf(family), minted.id, expiresAt);
  }
}

const rejected = () => unauthenticated('refresh token is not valid');
