import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { newId } from './ids.js';
import { safeEqual, sha256 } from './secrets.js';

// What the login credentials (sessions, refresh tokens) and the login throttle share.

/**
 * A credential as `<id>.<secret>`: the id finds the record, the secret proves
 * possession. Only the secret's hash is stored, and it is compared in constant time.
 */
export function mintSecretToken(prefix: string): { id: string; secret: string; token: string } {
  const id = newId(prefix);
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `${id}.${secret}` };
}

/** The parts of a token `mintSecretToken(prefix)` made; `undefined` for anything else. */
export function parseSecretToken(value: unknown, prefix: string): { id: string; secret: string } | undefined {
  if (typeof value !== 'string' || value.length > 200) return undefined;
  const match = new RegExp(`^(${prefix}_[0-9a-f]{24})\\.([A-Za-z0-9_-]{43})$`).exec(value);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export const secretMatches = (secret: string, storedHash: string): boolean => safeEqual(sha256(secret), storedHash);

/** A store TTL for something that ends at `at` (at least a second: a TTL of 0 would mean none). */
export const secondsUntil = (at: number, now: number): number => Math.max(1, Math.ceil((at - now) / 1000));

/**
 * Drops members of a per-user listing that ended (scores are end times), after
 * `ended` tidies what hangs off each: listings have no TTL of their own.
 */
export async function pruneIndex(
  store: Store,
  list: string,
  now: number,
  ended: (member: string) => Promise<unknown> = async () => undefined,
): Promise<void> {
  for (const member of await store.indexUpTo(list, now, 100)) {
    await ended(member);
    await store.indexRemove(list, member);
  }
}

/** Calls `end` for every member of a listing and empties it; returns how many there were. */
export async function drainIndex(store: Store, list: string, end: (member: string) => Promise<unknown>): Promise<number> {
  let count = 0;
  for (;;) {
    const { members } = await store.indexRange(list, { offset: 0, limit: 100 });
    if (members.length === 0) return count;
    for (const member of members) {
      await end(member);
      await store.indexRemove(list, member);
    }
    count += members.length;
  }
}
