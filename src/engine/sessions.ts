import type { Store } from '../store/store.js';
import { userKey } from './directory.js';
import { drainIndex, mintSecretToken, parseSecretToken, pruneIndex, secondsUntil, secretMatches } from './login-secrets.js';
import type { Principal } from './records.js';
import { sha256 } from './secrets.js';

/** Record collections and listings this module owns. */
const C = { session: 'session' } as const;
const sessionsOf = (tenant: string, userId: string) => `sessions:${userKey(tenant, userId)}`;

export interface SessionOptions {
  /** A session unused this long ends. Default 30 minutes: a web UI left open on a shared machine. */
  idleSeconds?: number;
  /** A session ends this long after login however busy it is. Default 7 days. */
  absoluteSeconds?: number;
  /**
   * Activity moves the idle expiry only when it would move by at least this
   * much, so a busy UI costs a write a minute rather than one per request.
   * Default 60 seconds; the idle window may then end up to this much early.
   */
  touchEverySeconds?: number;
}

const DEFAULTS: Required<SessionOptions> = { idleSeconds: 30 * 60, absoluteSeconds: 7 * 24 * 3600, touchEverySeconds: 60 };

interface SessionRecord {
  id: string;
  principal: Principal;
  /** SHA-256 of the cookie's secret part; the secret itself is never stored. */
  secretHash: string;
  createdAt: number;
  idleExpiresAt: number;
  expiresAt: number;
  meta: Record<string, string>;
}

export interface NewSession {
  /** Not secret: names the session for `revoke` and in logs. */
  id: string;
  /** The cookie value. Shown once; only its hash is kept. */
  cookie: string;
  idleExpiresAt: number;
  expiresAt: number;
}

/**
 * Server-side login sessions for cookie-based web UIs: revocable at once
 * (logout, password change), unlike a signed cookie that is valid until it
 * expires. Expiry is decided from the stored times and the caller's `now`;
 * store TTLs only clear out what has ended.
 *
 * A session created while `revokeAllOf` runs for the same user may survive
 * it: the login raced the password change and proved the old password.
 */
export class Sessions {
  private readonly opts: Required<SessionOptions>;

  constructor(
    private readonly store: Store,
    options: SessionOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
  }

  async create(principal: Principal, opts: { meta?: Record<string, string> } = {}, now = Date.now()): Promise<NewSession> {
    const { id, secret, token } = mintSecretToken('sess');
    const expiresAt = now + this.opts.absoluteSeconds * 1000;
    const idleExpiresAt = Math.min(now + this.opts.idleSeconds * 1000, expiresAt);
    const record: SessionRecord = {
      id,
      principal,
      secretHash: sha256(secret),
      createdAt: now,
      idleExpiresAt,
      expiresAt,
      meta: opts.meta ?? {},
    };
    const list = sessionsOf(principal.tenant, principal.userId);
    await pruneIndex(this.store, list, now);
    await this.store.put(C.session, id, record, { ttlSeconds: secondsUntil(idleExpiresAt, now) });
    await this.store.indexAdd(list, id, expiresAt);
    return { id, cookie: token, idleExpiresAt, expiresAt };
  }

  /**
   * The principal of a live session, `undefined` for anything else (unknown,
   * ended, revoked, malformed). Counts as activity: extends the idle expiry,
   * never past the absolute one.
   */
  async verify(cookie: unknown, now = Date.now()): Promise<Principal | undefined> {
    const parsed = parseSecretToken(cookie, 'sess');
    if (!parsed) return undefined;
    const stored = await this.store.get<SessionRecord>(C.session, parsed.id);
    if (!stored || !secretMatches(parsed.secret, stored.value.secretHash)) return undefined;
    const session = stored.value;
    if (now >= session.idleExpiresAt || now >= session.expiresAt) return undefined;
    const idleExpiresAt = Math.min(now + this.opts.idleSeconds * 1000, session.expiresAt);
    if (idleExpiresAt - session.idleExpiresAt >= this.opts.touchEverySeconds * 1000) {
      // Compare-and-set, so a touch racing a revoke can never bring the session back;
      // losing to a concurrent touch is fine, that one extended it too.
      await this.store.put(C.session, session.id, { ...session, idleExpiresAt } satisfies SessionRecord, {
        ifVersion: stored.version,
        ttlSeconds: secondsUntil(idleExpiresAt, now),
      });
    }
    return session.principal;
  }

  /** Ends one session (logout). False when there was none by that id. */
  async revoke(sessionId: string): Promise<boolean> {
    const stored = await this.store.get<SessionRecord>(C.session, sessionId);
    if (!stored) return false;
    const { tenant, userId } = stored.value.principal;
    await this.store.delete(C.session, sessionId);
    await this.store.indexRemove(sessionsOf(tenant, userId), sessionId);
    return true;
  }

  /** Ends every session of a user (password change, account disabled); returns how many were listed. */
  async revokeAllOf(tenant: string, userId: string): Promise<number> {
    return drainIndex(this.store, sessionsOf(tenant, userId), (id) => this.store.delete(C.session, id));
  }
}

