import type Provider from 'oidc-provider';
import type { Directory } from '../engine/directory.js';
import { bearerToken, type CredentialScheme } from '../http/credentials.js';
import { parseAccountId } from './accounts.js';

/**
 * The shape of the opaque access tokens oidc-provider issues (32 random
 * bytes, base64url): any other bearer value is not this server's, and is
 * passed on without a store read.
 */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * `oauth_token`: an access token this authorization server issued, as
 * `Authorization: Bearer` to any dialect route listing it. Tokens are opaque
 * references read back from the store on every request, so a token that
 * expired, was revoked, or lost its grant (end-session, a replayed code) is
 * refused at once on every instance, and a token of another server (its own
 * keys and store) is simply unknown. It names a user: client_credentials
 * tokens (no user) and sender-constrained (DPoP) tokens are not Bearer
 * credentials of a user, and a user removed since is nobody.
 *
 * `provider` is late-bound: the provider exists once the main listener knows
 * its port (the default issuer names it); until then no token is ours.
 */
export function oauthTokenScheme(provider: () => Provider | undefined, directory: Directory): CredentialScheme {
  return {
    label: 'access token',
    read: (request, places) => bearerToken(request, places),
    verify: async (token) => {
      const oidc = provider();
      if (!oidc || !OPAQUE_TOKEN.test(token)) return undefined;
      const found = await oidc.AccessToken.find(token);
      if (!found?.accountId || !found.grantId || found.aud !== undefined || found.isSenderConstrained()) return undefined;
      const ids = parseAccountId(found.accountId);
      const grant = ids && (await oidc.Grant.find(found.grantId));
      const user = grant && (await directory.getUser(ids.tenant, ids.userId));
      return user ? { kind: 'user', principal: directory.principalOf(user, 'oauth') } : undefined;
    },
  };
}
