import * as oidc from 'openid-client';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type RawConfig, type TestGateway, type TestGatewayOptions } from '../support/gateway.js';
import { authorizationRequest, codeFlow, discover } from './relying-party.js';

export { authorizationRequest, codeFlow, discover };

/** A confidential web app: the code flow, refresh tokens, and client_credentials. */
export const WEB = { id: 'web-app', secret: 'web-app-secret-0123456789abcdef', redirect: 'https://app.example/callback' };
/** A public single-page app: the code flow and (rotated) refresh tokens. */
export const SPA = { id: 'spa', redirect: 'http://localhost:5173/cb' };
/** A demo user of the shipped config. */
export const ALICE = { username: 'alice', password: 'alice-password' };

/** `configure` for `startTestGateway`: the two clients above as bootstrap clients. */
export function withOAuthClients(raw: RawConfig): void {
  raw.bootstrap.oauth_clients = [
    { client_id: WEB.id, client_secret: WEB.secret, redirect_uris: [WEB.redirect], grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
    { client_id: SPA.id, redirect_uris: [SPA.redirect], grant_types: ['authorization_code', 'refresh_token'] },
  ];
}

export interface OAuthGateway {
  gw: TestGateway;
  /** openid-client's view of it as the confidential web app. */
  web: oidc.Configuration;
}

/** For a test file: a gateway with the clients above, started before its tests and stopped after them. */
export function useOAuthGateway(options: TestGatewayOptions = {}): OAuthGateway {
  const server = {} as OAuthGateway;
  beforeAll(async () => {
    server.gw = await startTestGateway({ ...options, configure: (raw) => (withOAuthClients(raw), options.configure?.(raw)) });
    server.web = await discover(server.gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
  });
  afterAll(async () => {
    await server.gw?.stop();
  });
  return server;
}
