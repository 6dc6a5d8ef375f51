import * as oidc from 'openid-client';
import { BrowserSession } from '../test/oauth/browser-session.js';
import { codeFlow, discover } from '../test/oauth/relying-party.js';

/** The OAuth client and the password bench/config/gateway.yaml declares. */
const CLIENT = { id: 'bench-client', secret: 'bench-client-secret-0123456789abcdef', redirect: 'http://127.0.0.1/bench-callback' };
const POLLER = { username: 'poller', password: 'bench-poller-password' };

/**
 * An access token of the gateway's authorization server for the poller, got
 * as a relying party gets one: discovery, the code flow with PKCE through the
 * login and consent pages, the code redeemed at the token endpoint.
 */
export async function pollerAccessToken(port: number): Promise<string> {
  const base = `http://127.0.0.1:${port}`;
  const config = await discover(base, CLIENT.id, oidc.ClientSecretBasic(CLIENT.secret));
  const { tokens } = await codeFlow(config, CLIENT.redirect, new BrowserSession(base), POLLER, 'openid');
  return tokens.access_token;
}
