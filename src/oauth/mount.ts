import type Koa from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../config/types.js';
import type { Engine } from '../engine/engine.js';
import { signOutCookieLogin } from '../http/login-cookie.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { clientMetadata } from './clients.js';
import { interactionRoutes } from './interactions.js';
import { buildProvider, OAUTH_ROUTES } from './provider.js';
import { RememberedConsent } from './remembered-consent.js';
import { loadSigningKeys } from './signing-keys.js';

export interface OAuthDeps {
  config: Config;
  logger: Logger;
  store: Store;
  engine: Engine;
  /** The gateway's cookie keys: the provider signs its cookies with the same ones as the Koa app. */
  cookieKeys: readonly string[];
}

/** The authorization server on the main listener: a middleware, and `start` once the listener's port is known. */
export interface OAuthServer {
  middleware: Koa.Middleware;
  /** Builds the provider for the issuer (`oauth.issuer`, else `http://<server.host>:<port>`); call before serving. */
  start(port: number): void;
  /** The issuer identifier (after `start`). */
  readonly issuer: string;
  /** The provider (after `start`): what verifies its access tokens (`bearer-scheme.ts`). */
  readonly provider: Provider | undefined;
  /** Ends the provider session of the request's browser (its `_session` cookie), if it has one. */
  endBrowserSession(ctx: Koa.Context): Promise<void>;
}

type Methods = readonly string[];
const GET: Methods = ['GET', 'OPTIONS'];
const POST: Methods = ['POST', 'OPTIONS'];
const METADATA = '/.well-known/oauth-authorization-server';

/** Fixed paths the provider answers (under `/oauth2`; `/api/oauth2/*` is the same path with `/api` in front), by method. */
function fixedRoutes(registration: boolean): Map<string, Methods> {
  const routes = new Map<string, Methods>([
    [METADATA, GET],
    ['/.well-known/openid-configuration', GET],
    [OAUTH_ROUTES.authorization, ['GET']],
    [OAUTH_ROUTES.token, POST],
    [OAUTH_ROUTES.userinfo, ['GET', 'POST', 'OPTIONS']],
    [OAUTH_ROUTES.jwks, GET],
    [OAUTH_ROUTES.revocation, POST],
    [OAUTH_ROUTES.introspection, POST],
    [OAUTH_ROUTES.end_session, ['GET']],
    [`${OAUTH_ROUTES.end_session}/confirm`, ['POST']],
    [`${OAUTH_ROUTES.end_session}/success`, ['GET']],
  ]);
  if (registration) routes.set(OAUTH_ROUTES.registration, ['POST']);
  return routes;
}

const WITH_REGISTRATION = fixedRoutes(true);
const WITHOUT_REGISTRATION = fixedRoutes(false);

/** Where oidc-provider resumes an authorization after the login and consent pages, and reads a registered client. */
const RESUME = new RegExp(`^${OAUTH_ROUTES.authorization}/[^/]+$`);
const CLIENT = new RegExp(`^${OAUTH_ROUTES.registration}/[^/]+$`);

/** Responses a client may cache; every other answer (tokens, errors, user data) is `no-store`. */
const CACHEABLE = new Set([METADATA, '/.well-known/openid-configuration', OAUTH_ROUTES.jwks]);

/**
 * The provider's path for a request, or undefined when the provider does not
 * serve it (the gateway's 404 answers then). `/api/oauth2/*` is `/oauth2/*`,
 * and the metadata aliases are RFC 8414's document.
 */
export function providerPath(method: string, path: string, registration: boolean): string | undefined {
  const routes = registration ? WITH_REGISTRATION : WITHOUT_REGISTRATION;
  const isAlias = path.startsWith('/api/oauth2/');
  const own = isAlias ? path.slice('/api'.length) : path;
  if (isAlias && own.startsWith('/.well-known/')) return undefined;
  const target = own === '/oauth2/metadata' ? METADATA : own;
  const methods = routes.get(target) ?? (RESUME.test(target) || (registration && CLIENT.test(target)) ? ['GET'] : undefined);
  return methods?.includes(method) ? target : undefined;
}

/**
 * Prepares the authorization server: signing keys (configured, or kept in
 * the store), the bootstrap clients checked, and the routes. Boot fails here
 * on a bad `oauth` or `bootstrap.oauth_clients` entry.
 */
export async function prepareOAuth(deps: OAuthDeps): Promise<OAuthServer> {
  const { config, logger, store, engine } = deps;
  const { oauth } = config;
  clientMetadata(config.bootstrap.oauth_clients);
  const tenant = oauth.tenant ?? config.bootstrap.tenants[0]?.code;
  if (oauth.tenant !== undefined && !config.bootstrap.tenants.some((t) => t.code === oauth.tenant)) {
    throw new Error(`oauth.tenant: unknown tenant "${oauth.tenant}"`);
  }
  const jwks = await loadSigningKeys(store, oauth.signing_keys);
  const consent = new RememberedConsent(store, oauth.refresh_token_ttl_seconds);
  let provider: Provider | undefined;
  let handle: ReturnType<Provider['callback']> | undefined;
  let interactions: Koa.Middleware | undefined;
  let issuer = '';

  const middleware: Koa.Middleware = async (ctx, next) => {
    if (!handle || !interactions) throw new Error('the OAuth2 server is not started');
    const target = providerPath(ctx.method, ctx.path, oauth.dynamic_registration);
    if (target === undefined) return interactions(ctx, next);
    const { req, res } = ctx;
    const original = req.url;
    req.url = target + (ctx.querystring ? `?${ctx.querystring}` : '');
    if (!CACHEABLE.has(target)) res.setHeader('Cache-Control', 'no-store');
    ctx.respond = false;
    try {
      await handle(req, res);
    } finally {
      req.url = original;
    }
  };

  return {
    middleware,
    get issuer() {
      return issuer;
    },
    get provider() {
      return provider;
    },
    async endBrowserSession(ctx) {
      if (!provider) return;
      const session = await provider.Session.get(ctx);
      // Destroying the session also ends the access tokens that expire with it.
      if (session.accountId) await session.destroy();
    },
    start(port) {
      issuer = oauth.issuer ?? defaultIssuer(config.server.host, port);
      const onSignOut = (ctx: Koa.Context) => signOutCookieLogin(ctx, engine);
      provider = buildProvider({ config, issuer, store, directory: engine.directory, logger, jwks, cookieKeys: deps.cookieKeys, consent, onSignOut });
      handle = provider.callback();
      interactions = interactionRoutes({ provider, engine, consent, tenant, cookieKeys: deps.cookieKeys });
    },
  };
}

/**
 * `http://<server.host>:<port>`. A wildcard listen address names no host a
 * client can reach, so `localhost` stands for it; set `oauth.issuer` for a
 * real deployment.
 */
export function defaultIssuer(host: string, port: number): string {
  const name = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}`;
}
