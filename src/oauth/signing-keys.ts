import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

/** A JSON Web Key Set holding private keys, as oidc-provider's `jwks` option takes it. */
export interface PrivateJwks {
  keys: Record<string, unknown>[];
}

const SECRET = 'secret';
const OAUTH_JWKS = 'oauth-signing-jwks';

/**
 * The keys the authorization server signs ID tokens (and later JWT access
 * tokens) with. Configured keys win: the first key of an algorithm signs and
 * every key is published, so a key is rotated by listing the new one first,
 * keeping the old one until the tokens it signed have expired, then dropping
 * it. Without configured keys one RSA key is generated once and kept in the
 * store, so every instance sharing the store, and restarts of a durable one,
 * publish and sign with the same key. Read at boot, never per request.
 */
export async function loadSigningKeys(store: Store, configured?: PrivateJwks): Promise<PrivateJwks> {
  if (configured) {
    configured.keys.forEach((key, i) => {
      // A public key cannot sign; oidc-provider's own message would not name the config path.
      if (typeof key.d !== 'string') throw new Error(`oauth.signing_keys.keys[${i}]: not a private key (no "d")`);
    });
    return configured;
  }
  const fresh = generated();
  // Only the first instance's key is written; every instance then reads back the one that won.
  await store.put<PrivateJwks>(SECRET, OAUTH_JWKS, fresh, { ifVersion: 0 });
  return (await store.get<PrivateJwks>(SECRET, OAUTH_JWKS))?.value ?? fresh;
}

/** RS256: what OpenID Connect relying parties must accept, and oidc-provider's default for ID tokens. */
function generated(): PrivateJwks {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { keys: [{ ...jwk, kid: randomBytes(12).toString('base64url'), use: 'sig', alg: 'RS256' }] };
}
