import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

const SECRET = 'secret';
const SIGNING_KEY = 'jwt-signing-key';

/**
 * The key that signs the tokens this gateway issues (HS256). A configured
 * secret wins; otherwise one random key is created once and kept in the
 * store, so instances sharing a store, and restarts of a durable one, accept
 * each other's tokens. Read at boot, never per request.
 */
export async function loadSigningKey(store: Store, configured?: string): Promise<Uint8Array> {
  if (configured) return new TextEncoder().encode(configured);
  const fresh = randomBytes(32).toString('base64');
  await store.put(SECRET, SIGNING_KEY, fresh, { ifVersion: 0 });
  const stored = (await store.get<string>(SECRET, SIGNING_KEY))?.value ?? fresh;
  return new Uint8Array(Buffer.from(stored, 'base64'));
}
