import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { sha256 } from './secrets.js';

const PENDING = 'pending-login';
/** How often a contended take is tried again before it gives up (another instance took it). */
const ATTEMPTS = 5;

/**
 * The server's half of a login that leaves for another site and comes back
 * (an upstream OpenID provider's redirect): what was started, under a random
 * `state` the browser carries there and back. Kept on the store, so the
 * callback may reach any instance; keyed by the state's hash, so reading the
 * store gives no state to replay; taken once, so a callback replayed (or
 * raced by a second tab) finds nothing.
 */
export class PendingLogins {
  constructor(private readonly store: Store) {}

  /** Keeps `value` for `ttlSeconds` and answers the state that takes it back. */
  async start<T>(value: T, ttlSeconds: number): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    await this.store.put<T>(PENDING, sha256(state), value, { ttlSeconds });
    return state;
  }

  /** The value `state` was started with, once: later takes (and unknown or expired states) find nothing. */
  async take<T>(state: string): Promise<T | undefined> {
    const key = sha256(state);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await this.store.get<T | null>(PENDING, key);
      if (!current || current.value === null) return undefined;
      // A compare-and-set to a spent marker: of two instances taking it at once, one wins.
      if (await this.store.put<T | null>(PENDING, key, null, { ifVersion: current.version, ttlSeconds: 60 })) return current.value;
    }
    return undefined;
  }
}
