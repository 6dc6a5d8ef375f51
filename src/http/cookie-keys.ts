import { createHmac } from 'node:crypto';

/**
 * The keys that sign cookies (Koa's `app.keys`: the first signs, every one
 * verifies, so a key is rotated by listing the new one first and dropping
 * the old one later). `server.cookie_keys` when set; else one key derived
 * from the gateway's signing key, which every instance sharing the store
 * holds, so they all accept each other's cookies.
 */
export function cookieKeys(configured: readonly string[] | undefined, signingKey: Uint8Array): string[] {
  if (configured && configured.length > 0) return [...configured];
  return [createHmac('sha256', signingKey).update('switchboard cookie keys').digest('base64url')];
}
