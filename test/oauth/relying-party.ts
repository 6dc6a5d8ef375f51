/**
 * A relying party's first steps against the gateway's authorization server,
 * with openid-client: discovery, an authorization request, and the code
 * flow through the gateway's pages. No test framework in here: the bench
 * signs its users in with it too.
 */
import * as oidc from 'openid-client';
import { type BrowserSession, signIn } from './browser-session.js';

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

/**
 * A code flow with PKCE as a browser goes through it (the gateway's login and
 * consent pages, signing in as `who`), ending with the tokens; `pages` says
 * which pages were shown.
 */
export async function codeFlow(
  config: oidc.Configuration,
  redirect: string,
  browser: BrowserSession,
  who: { username: string; password: string },
  scope = 'openid profile email',
) {
  const { url, verifier, state } = await authorizationRequest(config, redirect, scope);
  const signedIn = await signIn(browser, url.href, who);
  if (!signedIn.redirect.searchParams.get('code')) throw new Error(`no code at ${signedIn.redirect.href}`);
  const tokens = await oidc.authorizationCodeGrant(config, signedIn.redirect, { pkceCodeVerifier: verifier, expectedState: state });
  return { tokens, pages: signedIn.pages };
}
