import type { OAuthClientSeed } from '../config/types.js';

/** The grants this server offers; any other named by a client is a config error. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

/**
 * oidc-provider client metadata for the clients of `bootstrap.oauth_clients`.
 * A client without a secret is public (`token_endpoint_auth_method: none`);
 * only a confidential one may use `client_credentials`. Problems are thrown
 * with the config path, at boot.
 */
export function clientMetadata(seeds: readonly OAuthClientSeed[]): Record<string, unknown>[] {
  return seeds.map((seed, i) => {
    const path = `bootstrap.oauth_clients[${i}]`;
    seed.grant_types.forEach((grant, j) => {
      if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
        throw new Error(`${path}.grant_types[${j}]: unknown grant "${grant}"; known grants: ${GRANT_TYPES.join(', ')}`);
      }
    });
    const confidential = seed.client_secret !== undefined && seed.client_secret !== '';
    if (!confidential && seed.grant_types.includes('client_credentials')) {
      throw new Error(`${path}.grant_types: client_credentials needs a client_secret`);
    }
    const codeFlow = seed.grant_types.includes('authorization_code');
    if (codeFlow && seed.redirect_uris.length === 0) throw new Error(`${path}.redirect_uris: the authorization_code grant needs at least one`);
    seed.redirect_uris.forEach((uri, j) => {
      if (!URL.canParse(uri)) throw new Error(`${path}.redirect_uris[${j}]: "${uri}" is not an absolute URL`);
    });
    return {
      client_id: seed.client_id,
      ...(confidential ? { client_secret: seed.client_secret } : { token_endpoint_auth_method: 'none' }),
      grant_types: seed.grant_types,
      response_types: codeFlow ? ['code'] : [],
      redirect_uris: seed.redirect_uris,
      // A custom-scheme redirect (a mobile or desktop app) is allowed for native clients only; matching stays
      // exact, save RFC 8252's any-port rule for a native client's loopback redirects.
      application_type: seed.redirect_uris.some(isCustomScheme) ? 'native' : 'web',
    };
  });
}

function isCustomScheme(uri: string): boolean {
  const { protocol } = new URL(uri);
  return protocol !== 'http:' && protocol !== 'https:';
}
