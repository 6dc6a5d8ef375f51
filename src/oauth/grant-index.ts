import type { Store } from '../store/store.js';
import { secondsUntil } from '../engine/login-secrets.js';

/**
 * Which records belong to one grant, so that revoking it can find them all:
 * one record per grant, `members` mapping each record's key (in the adapter's
 * record collection) to when it ends in ms, `null` for never. A record rather
 * than a listing because listings have no TTL: this one expires with the
 * longest-lived record it names, and ended members are dropped on every write,
 * so a grant nobody revokes leaves nothing behind. Every change is a
 * compare-and-set, so instances adding tokens to one grant at once lose none.
 */
export interface GrantMembers {
  members: Record<string, number | null>;
}

const ATTEMPTS = 50;

/** Adds (or re-times) `key` in the grant's index. */
export function addGrantMember(store: Store, collection: string, grantId: string, key: string, endsAt: number | undefined): Promise<void> {
  return changeGrant(store, collection, grantId, (members) => {
    members[key] = endsAt ?? null;
  });
}

/** Removes `key` from the grant's index. */
export function removeGrantMember(store: Store, collection: string, grantId: string, key: string): Promise<void> {
  return changeGrant(store, collection, grantId, (members) => {
    if (!Object.hasOwn(members, key)) return false;
    delete members[key];
  });
}

/**
 * Calls `remove` for every member of the grant, then empties its index. A
 * member added meanwhile by another instance makes the emptying fail its
 * compare-and-set, and the loop removes that one too. The emptied index is
 * written back with a short TTL instead of deleted: deleting could drop a
 * member that was added right after the emptying succeeded.
 */
export async function drainGrant(store: Store, collection: string, grantId: string, remove: (key: string) => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await store.get<GrantMembers>(collection, grantId);
    if (!current) return;
    const keys = Object.keys(current.value.members);
    if (keys.length === 0) return;
    // On a retry the ones already removed are removed again: cheap, and right should one have been written anew meanwhile.
    await Promise.all(keys.map(remove));
    const emptied = await store.put<GrantMembers>(collection, grantId, { members: {} }, { ifVersion: current.version, ttlSeconds: 1 });
    if (emptied) return;
  }
  throw new Error(`too much contention revoking grant ${grantId}`);
}

/**
 * Read-modify-write of a grant's index, creating it when absent. `change`
 * edits the members in place and returns false to leave the record as it is.
 */
async function changeGrant(
  store: Store,
  collection: string,
  grantId: string,
  change: (members: Record<string, number | null>) => boolean | void,
): Promise<void> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const now = Date.now();
    const current = await store.get<GrantMembers>(collection, grantId);
    const members = { ...current?.value.members };
    if (change(members) === false) return;
    for (const [key, endsAt] of Object.entries(members)) if (endsAt !== null && endsAt <= now) delete members[key];
    const ends = Object.values(members);
    const ifVersion = current?.version ?? 0;
    if (ends.length === 0) {
      if (!current) return;
      // Emptied: kept a moment rather than deleted, for the same reason as in `drainGrant`.
      if (await store.put<GrantMembers>(collection, grantId, { members }, { ifVersion, ttlSeconds: 1 })) return;
      continue;
    }
    const last = ends.includes(null) ? undefined : Math.max(...(ends as number[]));
    const ttlSeconds = last === undefined ? undefined : secondsUntil(last, now);
    if (await store.put<GrantMembers>(collection, grantId, { members }, { ifVersion, ttlSeconds })) return;
  }
  throw new Error(`too much contention updating grant ${grantId}`);
}
