import Provider, { type ClientInstance, type ErrorOut, type ProviderContext } from 'oidc-provider';
import type { Config } from '../config/types.js';
import type { Directory } from '../engine/directory.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { accountFinder, SCOPE_CLAIMS } from './accounts.js';
import { clientMetadata } from './clients.js';
import { rfcErrorCodes } from './error-codes.js';
import { errorPage, loggedOutPage, logoutPage } from './pages.js';
import type { RememberedConsent } from './remembered-consent.js';
import type { PrivateJwks } from './signing-keys.js';
import { storeAdapter } from './store-adapter.js';

/** Where oidc-provider serves each endpoint; `mount.ts` also answers them under `/api/oauth2/*`. */
export const OAUTH_ROUTES = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  userinfo: '/oauth2/userinfo',
  jwks: '/oauth2/jwks',
  revocation: '/oauth2/revoke',
  introspection: '/oauth2/introspect',
  end_session: '/oauth2/end-session',
  registration: '/oauth2/register',
} as const;

/** Where the login and consent pages of an interaction live (`interactions.ts`). */
export const interactionPath = (uid: string): string => `/oauth2/interaction/${encodeURIComponent(uid)}`;

export interface ProviderDeps {
  config: Config;
  issuer: string;
  store: Store;
  directory: Directory;
  logger: Logger;
  jwks: PrivateJwks;
  cookieKeys: readonly string[];
  consent: RememberedConsent;
  /** Signing out at end-session (the whole session, not one client) ends the gateway's own browser login too. */
  onSignOut: (ctx: ProviderContext) => Promise<void>;
}

/** The state oidc-provider keeps (sessions, grants, codes, tokens), on the gateway's store: one function, so swapping it is one line. */
export function oauthAdapter(store: Store) {
  return storeAdapter(store);
}

/**
 * The authorization server, configured from the gateway's config: the
 * bootstrap clients, PKCE (S256) on every authorization request, the
 * directory's users as accounts, the gateway's cookie keys, and errors as
 * OAuth2 `{error, error_description}` (an HTML page for a browser).
 */
export function buildProvider(deps: ProviderDeps): Provider {
  const { config, logger } = deps;
  const { oauth } = config;
  const provider = new Provider(deps.issuer, {
    adapter: oauthAdapter(deps.store),
    clients: clientMetadata(config.bootstrap.oauth_clients),
    findAccount: accountFinder(deps.directory),
    claims: SCOPE_CLAIMS,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    jwks: deps.jwks,
    cookies: { keys: [...deps.cookieKeys] },
    routes: OAUTH_ROUTES,
    // The code flow only: no implicit or hybrid responses, whose tokens travel in the browser's URL.
    responseTypes: ['code'],
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => interactionPath(interaction.uid) },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true, allowedPolicy: revocationAllowed },
      userinfo: { enabled: true },
      registration: { enabled: oauth.dynamic_registration },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: ProviderContext, form: string) => html(ctx, logoutPage(ctx.host, form)),
        postLogoutSuccessSource: (ctx: ProviderContext) => html(ctx, loggedOutPage(ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId)),
      },
      // Not offered: it would need a route of its own outside the paths this server answers.
      pushedAuthorizationRequests: { enabled: false },
    },
    // A refresh token for every client allowed the grant, not only to requests naming `offline_access`.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(grant: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    loadExistingGrant: deps.consent.loader(),
    clientBasedCORS: corsAllowed,
    renderError,
    ttl: {
      AccessToken: oauth.access_token_ttl_seconds,
      ClientCredentials: oauth.access_token_ttl_seconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl(oauth.refresh_token_ttl_seconds),
      Interaction: 3600,
      Session: config.auth.session_absolute_seconds,
      Grant: oauth.refresh_token_ttl_seconds,
    },
  });
  // The gateway drops `X-Forwarded-*` from anyone but a trusted proxy, so believing them here is safe.
  provider.proxy = config.server.trust_proxy.length > 0;
  // The event fires while the confirm request is handled; the middleware ends the gateway login before the
  // answer is written, so the browser's next request already finds it ended.
  provider.on('end_session.success', (ctx) => {
    const oidc = (ctx as ProviderContext).oidc as { params?: { logout?: unknown } };
    if (oidc.params?.logout) (ctx as ProviderContext).state.signedOut = true;
  });
  provider.use(async (ctx, next) => {
    await next();
    if ((ctx as ProviderContext).state.signedOut) await deps.onSignOut(ctx as ProviderContext);
  });
  provider.use(rfcErrorCodes(deps.issuer));
  provider.on('server_error', (_ctx, err) => logger.error({ err }, 'oauth server error'));
  // Koa prints an escaped error to the console unless the app has a listener of its own.
  provider.on('error', (err) => logger.error({ err }, 'oauth http error'));
  return provider;
}

/**
 * A rotated refresh token (a public client's, on every use) inherits what is
 * left of the one it replaces, so rotating never extends a login.
 */
function refreshTokenTtl(seconds: number) {
  return (ctx: ProviderContext | undefined): number => {
    const rotated = ctx?.oidc?.entities.RotatedRefreshToken as { remainingTTL?: number } | undefined;
    return rotated?.remainingTTL ?? seconds;
  };
}

/** A confidential client (a resource server) may introspect any token; a public one only its own. */
async function introspectionAllowed(ctx: ProviderContext, client: ClientInstance, token: { clientId?: string }): Promise<boolean> {
  return client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId;
}

/** Only the client a token was issued to may revoke it (RFC 7009 answers 200 either way). */
async function revocationAllowed(_ctx: ProviderContext, client: ClientInstance, token: { clientId?: string }): Promise<boolean> {
  return token.clientId === client.clientId;
}

/** Browsers may call the token, userinfo and revocation endpoints from the origin of one of the client's redirect URIs. */
function corsAllowed(_ctx: unknown, origin: string, client: { redirectUris?: string[] }): boolean {
  return (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin);
}

/**
 * oidc-provider's error answer where it cannot redirect to the client (an
 * unknown client, a redirect_uri not registered): JSON `{error,
 * error_description}` unless the caller prefers HTML, as a browser does.
 */
function renderError(ctx: ProviderContext, out: ErrorOut): void {
  ctx.set('cache-control', 'no-store');
  if (ctx.accepts('json', 'html') === 'html') {
    html(ctx, errorPage('Sign-in failed', out.error_description ?? out.error));
    return;
  }
  ctx.body = { error: out.error, ...(out.error_description === undefined ? {} : { error_description: out.error_description }) };
}

function html(ctx: ProviderContext, body: string): void {
  ctx.type = 'html';
  ctx.body = body;
}
