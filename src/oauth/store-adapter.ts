import { scopedKey } from '../engine/keys.js';
import { secondsUntil } from '../engine/login-secrets.js';
import { sha256 } from '../engine/secrets.js';
import type { Store } from '../store/store.js';
import { addGrantMember, drainGrant, removeGrantMember } from './grant-index.js';

/**
 * Record collections this adapter owns. `record` holds every model's records,
 * keyed by `recordKey`; the others are indexes, each entry naming a record of
 * `record` and expiring with it.
 */
export const OIDC_COLLECTIONS = {
  record: 'oidc',
  /** `scopedKey(model, uid)` → `{ id }`: a session by the uid its interactions and tokens name. */
  uid: 'oidc-uid',
  /** `scopedKey(model, userCode)` → `{ id }`: a device code by the code the user types. */
  userCode: 'oidc-user-code',
  /** `scopedKey(grantId)` → every record key of that grant (see `grant-index.ts`). */
  grant: 'oidc-grant',
} as const;
const C = OIDC_COLLECTIONS;

/**
 * The store key of a model's record. The id is hashed because most ids are
 * bearer secrets (an opaque token's value is its id, so are codes and the
 * session cookie): someone reading the store cannot use what they read.
 */
export const recordKey = (model: string, id: string): string => scopedKey(model, sha256(id));

/** What oidc-provider hands an adapter: its own JSON, to be read back as it was given. */
export type AdapterPayload = Record<string, unknown> & {
  uid?: string;
  userCode?: string;
  grantId?: string;
  /** When the record was consumed, in seconds since the epoch. */
  consumed?: number;
};

/** The interface oidc-provider's `adapter` option expects of the instance it makes per model. */
export interface OidcAdapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** What `storeAdapter` returns: oidc-provider calls `new Adapter(modelName)` once per model. */
export type OidcAdapterClass = new (model: string) => OidcAdapter;

export interface StoreAdapterOptions {
  /**
   * Seconds a record is kept past its expiry: pass the provider's
   * `clockTolerance`, under which it still accepts a token that long after its
   * `exp` (as oidc-provider's own adapter keeps them). Default 0: a record
   * ends exactly when it expires.
   */
  clockTolerance?: number;
}

/**
 * The class to give oidc-provider as its `adapter`, keeping everything in
 * `store`: records written by one gateway instance are read by every other on
 * the same store, and on Redis they survive a restart.
 */
export function storeAdapter(store: Store, options: StoreAdapterOptions = {}): OidcAdapterClass {
  const tolerance = options.clockTolerance ?? 0;
  return class extends StoreAdapter {
    constructor(model: string) {
      super(store, model, tolerance);
    }
  };
}

/**
 * A record as stored: the payload and when it ends (ms), checked on read so
 * expiry is exact whatever the store's timer granularity. A `jti` equal to
 * the id (the token value itself) is left out of the payload, `ownJti` set,
 * and put back on read from the id asked for.
 */
interface Stored {
  payload: AdapterPayload;
  endsAt?: number;
  ownJti?: true;
}

/**
 * An index entry: the id in the clear, since the lookup must answer with the
 * whole payload, `jti` included. The uid and user-code entries are thus the
 * only place a session's or device code's id is kept.
 */
interface IndexEntry {
  id: string;
}

/** The models whose records carry a `grantId` that revoking the grant must reach (as oidc-provider's own adapter has them). */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const CONTENDED_ATTEMPTS = 50;

class StoreAdapter implements OidcAdapter {
  constructor(
    private readonly store: Store,
    private readonly model: string,
    private readonly tolerance: number,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttlSeconds = typeof expiresIn === 'number' ? expiresIn + this.tolerance : undefined;
    if (ttlSeconds !== undefined && !(ttlSeconds > 0)) {
      // Already over: a TTL of 0 means "none" to some stores, so the record is not written at all.
      await this.destroy(id);
      return;
    }
    const previous = (await this.store.get<Stored>(C.record, key))?.value;
    const now = Date.now();
    const endsAt = ttlSeconds === undefined ? undefined : now + ttlSeconds * 1000;
    const { jti, ...rest } = payload;
    const stored: Stored = jti === id ? { payload: rest, ownJti: true } : { payload };
    if (endsAt !== undefined) stored.endsAt = endsAt;
    await this.store.put<Stored>(C.record, key, stored, { ttlSeconds });
    if (previous) await this.dropIndexes(this.model, key, previous.payload, payload);

    const entry: IndexEntry = { id };
    if (this.model === 'Session' && typeof payload.uid === 'string') {
      await this.store.put(C.uid, scopedKey(this.model, payload.uid), entry, { ttlSeconds });
    }
    if (typeof payload.userCode === 'string') {
      await this.store.put(C.userCode, scopedKey(this.model, payload.userCode), entry, { ttlSeconds });
    }
    // After the record: a revocation running in between misses this token, but leaves it listed for the next one.
    if (GRANTABLE.has(this.model) && typeof payload.grantId === 'string') {
      await addGrantMember(this.store, C.grant, scopedKey(payload.grantId), key, endsAt);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.read(this.key(id));
    if (!stored) return undefined;
    return stored.ownJti ? { ...stored.payload, jti: id } : stored.payload;
  }

  /** Through the index, then checked against the record: an index entry a race left behind never finds the wrong session. */
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const entry = await this.store.get<IndexEntry>(C.uid, scopedKey(this.model, uid));
    const found = entry && (await this.find(entry.value.id));
    return found?.uid === uid ? found : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const entry = await this.store.get<IndexEntry>(C.userCode, scopedKey(this.model, userCode));
    const found = entry && (await this.find(entry.value.id));
    return found?.userCode === userCode ? found : undefined;
  }

  /**
   * Marks the record consumed (seconds, as oidc-provider's `epochTime`),
   * keeping its expiry. A compare-and-set, so a concurrent upsert on another
   * instance is neither lost nor overwritten with the old payload.
   */
  async consume(id: string): Promise<void> {
    const key = this.key(id);
    for (let attempt = 0; attempt < CONTENDED_ATTEMPTS; attempt++) {
      const current = await this.store.get<Stored>(C.record, key);
      const now = Date.now();
      if (!current || ended(current.value, now)) return;
      const { endsAt } = current.value;
      const next: Stored = { ...current.value, payload: { ...current.value.payload, consumed: Math.floor(now / 1000) } };
      const ttlSeconds = endsAt === undefined ? undefined : secondsUntil(endsAt, now);
      if (await this.store.put<Stored>(C.record, key, next, { ifVersion: current.version, ttlSeconds })) return;
    }
    // The id is a token's value: never in a message that may be logged.
    throw new Error(`too much contention consuming a ${this.model}`);
  }

  async destroy(id: string): Promise<void> {
    const key = this.key(id);
    const current = await this.store.get<Stored>(C.record, key);
    await this.store.delete(C.record, key);
    if (current) await this.dropIndexes(this.model, key, current.value.payload);
  }

  /**
   * Removes every record of the grant, whatever its model: oidc-provider
   * calls this on each model's adapter in turn, and the grant's index lists
   * them all. The Grant record itself is left alone; oidc-provider destroys it
   * on its own when its policy says so.
   */
  async revokeByGrantId(grantId: string): Promise<void> {
    await drainGrant(this.store, C.grant, scopedKey(grantId), async (key) => {
      const current = await this.store.get<Stored>(C.record, key);
      await this.store.delete(C.record, key);
      const model = decodeURIComponent(key.slice(0, key.indexOf('/')));
      if (current) await this.dropIndexes(model, key, current.value.payload, undefined, false);
    });
  }

  private key(id: string): string {
    return recordKey(this.model, id);
  }

  private async read(key: string): Promise<Stored | undefined> {
    const current = await this.store.get<Stored>(C.record, key);
    return current && !ended(current.value, Date.now()) ? current.value : undefined;
  }

  /**
   * Removes the index entries `old` (the payload of the record at `key`) had
   * that `next` (the payload replacing it, if any) no longer has.
   */
  private async dropIndexes(model: string, key: string, old: AdapterPayload, next?: AdapterPayload, withGrant = true): Promise<void> {
    if (typeof old.uid === 'string' && old.uid !== next?.uid) await this.dropEntry(model, C.uid, old.uid, key);
    if (typeof old.userCode === 'string' && old.userCode !== next?.userCode) await this.dropEntry(model, C.userCode, old.userCode, key);
    if (withGrant && GRANTABLE.has(model) && typeof old.grantId === 'string' && old.grantId !== next?.grantId) {
      await removeGrantMember(this.store, C.grant, scopedKey(old.grantId), key);
    }
  }

  /** Deletes an index entry only while it still names the record at `key`: it may already name a newer one. */
  private async dropEntry(model: string, collection: string, value: string, key: string): Promise<void> {
    const entryKey = scopedKey(model, value);
    const entry = await this.store.get<IndexEntry>(collection, entryKey);
    if (entry && recordKey(model, entry.value.id) === key) await this.store.delete(collection, entryKey);
  }
}

const ended = (stored: Stored, now: number): boolean => stored.endsAt !== undefined && stored.endsAt <= now;
