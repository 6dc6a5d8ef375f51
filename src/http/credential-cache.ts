import { sha256 } from '../engine/secrets.js';
import type { Caller } from './credentials.js';

/** Most verified credentials one instance keeps; past it the least recently used one goes. */
export const MAX_CACHED_CREDENTIALS = 10_000;

/** Where the cache hears that a credential may prove something else now (the directory). */
export interface ProofChanges {
  /** Calls `listener` after every such change, on whichever instance it happened; returns a function that stops it. */
  onProofChanged(listener: () => void): () => void;
}

export interface CredentialCacheOptions {
  /** How long a verified credential is trusted without asking the store again (`auth.cache_ms`); 0 turns the cache off. */
  ttlMs: number;
  changes: ProofChanges;
  maxEntries?: number;
}

interface Entry {
  caller: Caller;
  expiresAt: number;
}

/**
 * This instance's verified credentials, so a client polling with the same
 * token costs the store nothing for its authentication. Entries are keyed by
 * the scheme and the SHA-256 of the secret, never the secret itself; only
 * successes are kept, so a credential issued a moment ago works at once and
 * a wrong one costs its lookup every time.
 *
 * Staleness is bounded twice: every change that could alter a verification
 * clears the whole cache, here at once and on every other instance through
 * the store (`changes`); and an entry lives at most `ttlMs`, which is all a
 * lost signal (a subscriber connection down) can cost. A verification that
 * was under way when a clear came is not kept: it may have read the store
 * before the change.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  /** Bumped by every clear. */
  private generation = 0;

  constructor(private readonly options: CredentialCacheOptions) {
    this.maxEntries = Math.max(1, options.maxEntries ?? MAX_CACHED_CREDENTIALS);
    if (options.ttlMs > 0) options.changes.onProofChanged(() => this.clear());
  }

  /** The caller `secret` proves under `scheme`: from the cache while fresh, else from `verify` (a success is kept). */
  async verify(scheme: string, secret: string, verify: () => Promise<Caller | undefined>): Promise<Caller | undefined> {
    if (this.options.ttlMs <= 0) return verify();
    const key = `${scheme}:${sha256(secret)}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      if (hit.expiresAt > now) {
        // Re-inserted: a Map keeps insertion order, so the oldest key is the least recently used.
        this.entries.set(key, hit);
        return hit.caller;
      }
    }
    const generation = this.generation;
    const caller = await verify();
    if (caller && generation === this.generation) this.keep(key, { caller: frozen(caller), expiresAt: now + this.options.ttlMs });
    return caller;
  }

  /** How many verified credentials are held. */
  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.generation++;
  }

  private keep(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** One cached caller serves many requests: none of them may change it for the others. */
function frozen(caller: Caller): Caller {
  if (caller.kind === 'user') Object.freeze(caller.principal);
  if (caller.kind === 'tenant') Object.freeze(caller.tenant);
  return Object.freeze(caller);
}
