import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OidcAdapterClass } from '../../src/oauth/store-adapter.js';

/** The part of oidc-provider's Provider these tests use (the package ships no type declarations). */
interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

export interface RunningProvider {
  /** Where the provider's endpoints are served, e.g. `${url}/token`. */
  url: string;
  close(): Promise<void>;
}

export interface TestClient {
  id: string;
  secret: string;
}

/** A service calling with the client_credentials grant. */
export const SERVICE: TestClient = { id: 'service-1', secret: randomBytes(24).toString('base64url') };
/** A web app signing users in with the authorization code flow (and refresh tokens). */
export const WEB_APP: TestClient = { id: 'web-1', secret: randomBytes(24).toString('base64url') };
export const WEB_APP_REDIRECT = 'https://app.example/cb';

/** What the providers of one test share, as the instances of one deployment do. */
export interface Deployment {
  issuer: string;
  jwk: Record<string, unknown>;
  cookieKey: string;
}

export function deployment(issuer: string): Deployment {
  // RSA: RS256 is what oidc-provider signs with unless a client asks otherwise.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };
  return { issuer, jwk, cookieKey: randomBytes(32).toString('base64url') };
}

/**
 * A real oidc-provider on a node http server on a random port, keeping its
 * state through `adapter`: the two clients above, introspection and
 * revocation enabled, and oidc-provider's own development login and consent
 * pages (any login name is an account).
 */
export async function startProvider(adapter: OidcAdapterClass, shared: Deployment): Promise<RunningProvider> {
  // Loaded by a name held in a variable: with no declarations shipped, a literal import would not typecheck.
  const name: string = 'oidc-provider';
  const { default: Provider } = (await import(name)) as { default: ProviderClass };
  const allowed = async () => true;
  const provider = new Provider(shared.issuer, {
    adapter,
    clients: [
      { client_id: SERVICE.id, client_secret: SERVICE.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
      {
        client_id: WEB_APP.id,
        client_secret: WEB_APP.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [WEB_APP_REDIRECT],
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: allowed },
      revocation: { enabled: true, allowedPolicy: allowed },
      devInteractions: { enabled: true },
    },
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    ttl: { ClientCredentials: 600, AccessToken: 600, AuthorizationCode: 60, RefreshToken: 3600, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    jwks: { keys: [shared.jwk] },
    cookies: { keys: [shared.cookieKey] },
    scopes: ['openid', 'offline_access', 'api:read'],
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // fetch keeps connections alive; they would hold close() open.
        server.closeAllConnections();
      }),
  };
}

/** A form POST authenticated as the client (HTTP Basic); the JSON answer, `{}` when empty. */
export async function clientPost(
  client: TestClient,
  url: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const basic = Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(5_000),
  });
  // Revocation answers 200 with an empty body.
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}
