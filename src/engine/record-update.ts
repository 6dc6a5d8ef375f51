import type { Store } from '../store/store.js';

/**
 * Read-modify-write of one record with optimistic concurrency: `change`
 * returns the new value, or `undefined` to leave the record as it is. Retries
 * when another writer got there first, so two instances never lose an update.
 * Returns the value as stored afterwards (`undefined` when the record is absent).
 */
export async function updateRecord<T>(
  store: Store,
  collection: string,
  id: string,
  change: (current: T) => T | undefined,
  opts: { ttlSeconds?: number } = {},
): Promise<{ value: T; changed: boolean } | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const current = await store.get<T>(collection, id);
    if (!current) return undefined;
    const next = change(current.value);
    if (next === undefined) return { value: current.value, changed: false };
    const written = await store.put(collection, id, next, { ifVersion: current.version, ttlSeconds: opts.ttlSeconds });
    if (written) return { value: next, changed: true };
  }
  throw new Error(`too much contention updating ${collection}/${id}`);
}
