/**
 * A relying party's first steps against the gateway's authorization server,
 * with openid-client: discovery and an authorization request. No test
 * framework in here: the bench signs its users in with it too.
 */
import * as oidc from 'openid-client';

/** openid-client's view of the server, found through RFC 8414 from the issuer URL. */
export function discover(issuer: string, clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, undefined, auth, { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
}

/** An authorization request with PKCE (S256) and state, and what the token request will need to check. */
export async function authorizationRequest(config: oidc.Configuration, redirect: string, scope = 'openid profile email') {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirect,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  return { url, verifier, state };
}
