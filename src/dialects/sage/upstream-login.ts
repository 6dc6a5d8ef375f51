import type Koa from 'koa';
import * as oidc from 'openid-client';
import type { UpstreamProvider } from '../../config/types.js';
import { EngineError } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import { safeEqual } from '../../engine/secrets.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import { limited } from './auth-register.js';
import { type SageTokens, sageTenant } from './auth-tokens.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { upstreamUser, type UpstreamClaims } from './upstream-users.js';

/** The browser's half of a login in progress: the state, signed, so only the browser that started a login can finish it. */
const STATE_COOKIE = 'sage_upstream_state';
/** How long a user has at the upstream provider before the login must start again. */
const PENDING_SECONDS = 600;
/** Logins started per client address: each keeps a record for `PENDING_SECONDS`. */
const STARTS_PER_CLIENT = { attempts: 30, windowSeconds: 60 };

/** What the login start keeps for its callback (`engine.pendingLogins`). */
interface PendingUpstream {
  provider: string;
  verifier: string;
  nonce: string;
  /** The callback URL the authorization request named: the token request must name the same. */
  redirectUri: string;
  /** Where the browser goes once logged in. */
  returnTo: string;
}

const STATE_INVALID = { 'zh-CN': '登录状态无效或已过期，请重新登录', en: 'The login state is invalid or expired; start the login again' };
const UPSTREAM_FAILED = { 'zh-CN': '上游登录失败', en: 'The upstream login failed' };

/**
 * Sage's `oauth` mode: `/api/auth/upstream/login[/{provider_id}]` sends the
 * browser to a configured OpenID provider (openid-client as the relying
 * party: authorization code with PKCE S256, state and nonce), and
 * `/api/auth/upstream/callback/{provider_id}` takes it back, checks the
 * state against the browser's signed cookie and the store (once), exchanges
 * the code, and logs in the user the upstream account is linked to (created
 * or linked by email on its first login) as a password login would: session
 * cookie, refresh family. Then 302 to `next` (or `redirect_uri`), a path of
 * this site. In the other modes both answer that upstream login is off.
 */
export function upstreamLoginHandlers(c: SageContext, tokens: SageTokens): { login: Handler; callback: Handler } {
  const { engine } = c;
  const tenant = sageTenant(c);
  const discovered = new Map<string, Promise<oidc.Configuration>>();

  const providerOf = (ctx: Koa.Context): UpstreamProvider => {
    const id = pathParam(ctx, 'provider_id');
    const active = c.options.auth_mode === 'oauth' ? c.options.upstream_providers : [];
    const provider = id === '' ? active[0] : active.find((p) => p.id === id);
    if (provider) return provider;
    if (id !== '') throw sageError('not_found', { 'zh-CN': '认证提供方不存在', en: 'Auth provider not found' });
    throw sageError('invalid_argument', { 'zh-CN': '当前服务未启用上游登录', en: 'Upstream login is not enabled on this server' });
  };

  /** The provider's metadata, fetched once per instance; a failed discovery is tried again by the next login. */
  const configOf = (provider: UpstreamProvider): Promise<oidc.Configuration> => {
    let found = discovered.get(provider.id);
    if (!found) {
      found = discover(provider);
      discovered.set(provider.id, found);
      found.catch(() => discovered.delete(provider.id));
    }
    return found.catch((err: unknown) => {
      c.logger.warn({ err, provider: provider.id }, 'upstream provider discovery failed');
      throw sageError('unavailable', { 'zh-CN': '上游认证服务不可用', en: 'The upstream auth provider is unavailable' });
    });
  };

  const login: Handler = async (ctx) => {
    const provider = providerOf(ctx);
    await limited(() => engine.attempts.take('sage-upstream-login', ctx.ip, STARTS_PER_CLIENT, 'too many logins started'));
    const returnTo = returnTarget(ctx);
    const config = await configOf(provider);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const redirectUri = provider.redirect_uri ?? callbackUrlOf(ctx, provider.id);
    const pending: PendingUpstream = { provider: provider.id, verifier, nonce, redirectUri, returnTo };
    const state = await engine.pendingLogins.start(pending, PENDING_SECONDS);
    ctx.cookies.set(STATE_COOKIE, state, { signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: '/', maxAge: PENDING_SECONDS * 1000 });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: provider.scope,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return redirect(ctx, url.href);
  };

  const callback: Handler = async (ctx) => {
    const provider = providerOf(ctx);
    const state = queryParam(ctx, 'state');
    const held = ctx.cookies.get(STATE_COOKIE, { signed: true });
    ctx.cookies.set(STATE_COOKIE, null, { path: '/' });
    // The cookie first: a callback link made elsewhere (login CSRF) carries no cookie of this browser.
    if (!state || !held || !safeEqual(state, held)) throw sageError('invalid_argument', STATE_INVALID);
    const pending = await engine.pendingLogins.take<PendingUpstream>(state);
    if (!pending || pending.provider !== provider.id) throw sageError('invalid_argument', STATE_INVALID);
    const config = await configOf(provider);
    const answer = new URL(pending.redirectUri);
    answer.search = ctx.querystring;

    let claims: UpstreamClaims;
    try {
      const grant = await oidc.authorizationCodeGrant(config, answer, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = await claimsOf(config, grant);
    } catch (err) {
      // The user said no at the provider (or it refused): back to the app, which shows why.
      if (err instanceof oidc.AuthorizationResponseError) return redirect(ctx, withQuery(pending.returnTo, 'auth_error', err.error));
      if (err instanceof EngineError) throw err;
      c.logger.warn({ err, provider: provider.id }, 'upstream login failed');
      throw sageError('unauthenticated', UPSTREAM_FAILED);
    }
    const principal: Principal = await upstreamUser(c, tenant, provider, claims);
    await tokens.login(ctx, principal);
    return redirect(ctx, pending.returnTo);
  };

  return { login, callback };
}

function discover(provider: UpstreamProvider): Promise<oidc.Configuration> {
  const auth = provider.client_secret === undefined ? oidc.None() : oidc.ClientSecretBasic(provider.client_secret);
  // An http issuer is the operator's explicit choice (a provider on the same host or network).
  const insecure = provider.issuer.startsWith('http://') ? { execute: [oidc.allowInsecureRequests] } : {};
  return oidc.discovery(new URL(provider.issuer), provider.client_id, undefined, auth, { ...insecure, timeout: 10 });
}

/** The ID token's claims, and userinfo's beside them (a provider may put profile and email there alone). */
async function claimsOf(config: oidc.Configuration, grant: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<UpstreamClaims> {
  const idClaims = grant.claims();
  if (!idClaims) throw new Error('the provider answered no ID token');
  const info = config.serverMetadata().userinfo_endpoint ? await oidc.fetchUserInfo(config, grant.access_token, idClaims.sub) : {};
  return { ...info, ...idClaims, issuer: config.serverMetadata().issuer };
}

/** Where the provider sends the browser back: the callback route beside this login route (under the same prefix). */
function callbackUrlOf(ctx: Koa.Context, providerId: string): string {
  const path = ctx.path.replace(/\/login(\/[^/]*)?$/, `/callback/${encodeURIComponent(providerId)}`);
  return `${siteOf(ctx)}${path}`;
}

/**
 * `next` (else `redirect_uri`): a path of this site, or a URL of this very
 * origin; anything else is refused, so the login cannot send a user on to
 * another site (an open redirect).
 */
function returnTarget(ctx: Koa.Context): string {
  const given = queryParam(ctx, 'next') ?? queryParam(ctx, 'redirect_uri') ?? '/';
  if (/^\/(?![/\\])/.test(given)) return given;
  if (URL.canParse(given) && new URL(given).origin === siteOf(ctx)) return given;
  throw sageError('invalid_argument', { 'zh-CN': '跳转地址必须属于本站', en: 'next and redirect_uri must be on this site' }, { field: 'next' });
}

/** This site's origin as the browser sees it (the trusted proxy's scheme and host when behind one). */
const siteOf = (ctx: Koa.Context): string => `${ctx.protocol}://${ctx.host}`;

function withQuery(target: string, name: string, value: string): string {
  const url = new URL(target, 'http://relative.invalid');
  url.searchParams.set(name, value);
  return url.origin === 'http://relative.invalid' ? `${url.pathname}${url.search}${url.hash}` : url.href;
}

function redirect(ctx: Koa.Context, location: string): undefined {
  ctx.set('cache-control', 'no-store');
  ctx.redirect(location);
  ctx.status = 302;
  return undefined;
}
