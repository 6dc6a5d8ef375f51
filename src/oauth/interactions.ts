import type Koa from 'koa';
import { koaBody } from 'koa-body';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import { EngineError } from '../engine/errors.js';
import { LOGIN_COOKIE } from '../http/login-cookie.js';
import type { Engine } from '../engine/engine.js';
import { accountIdOf } from './accounts.js';
import { FormTokens } from './form-tokens.js';
import { consentPage, errorPage, loginPage } from './pages.js';
import { interactionPath } from './provider.js';
import type { RememberedConsent } from './remembered-consent.js';

export interface InteractionDeps {
  provider: Provider;
  engine: Engine;
  consent: RememberedConsent;
  /** The tenant whose users sign in here; undefined when the config names none (every login then fails clearly). */
  tenant: string | undefined;
  cookieKeys: readonly string[];
}

const PATH = /^\/oauth2\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/;
const parseForm = koaBody({ json: false, text: false, multipart: false, urlencoded: true, formLimit: '16kb' });

/**
 * The login and consent pages oidc-provider sends a browser to
 * (`/oauth2/interaction/{uid}`), and the forms they post. Each form carries
 * a token bound to the interaction and to this browser (`FormTokens`),
 * checked before anything else on POST. Other paths go on to `next`.
 */
export function interactionRoutes(deps: InteractionDeps): Koa.Middleware {
  const tokens = new FormTokens(deps.cookieKeys);
  return async (ctx, next) => {
    const match = PATH.exec(ctx.path);
    const action = match?.[2];
    const method = action ? 'POST' : 'GET';
    if (!match || ctx.method !== method) return next();
    ctx.set('cache-control', 'no-store');
    const uid = decodeURIComponent(match[1]!);

    let details: InteractionDetails;
    try {
      details = await deps.provider.interactionDetails(ctx.req, ctx.res);
      if (details.uid !== uid) throw new Error('interaction cookie names another interaction');
    } catch {
      return page(ctx, 400, errorPage('Sign-in expired', 'This sign-in page has expired or was opened in another browser. Go back to the application and start again.'));
    }
    const client = details.params.client_id ?? 'the application';

    if (!action) {
      const csrf = tokens.issue(ctx, uid);
      if (details.prompt.name === 'login') {
        const known = await gatewayLogin(ctx, deps, details);
        if (known) return finish(ctx, deps, { login: { accountId: known } });
        return page(ctx, 200, loginPage({ action: `${interactionPath(uid)}/login`, csrf, client }));
      }
      if (details.prompt.name === 'consent') {
        const base = interactionPath(uid);
        return page(ctx, 200, consentPage({ action: `${base}/confirm`, abort: `${base}/abort`, csrf, client, scopes: requestedScopes(details) }));
      }
      return page(ctx, 400, errorPage('Cannot continue', `This server cannot complete the "${details.prompt.name}" step.`));
    }

    try {
      await parseForm(ctx, async () => {});
    } catch {
      return page(ctx, 400, errorPage('Bad request', 'The form could not be read.'));
    }
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const field = (name: string) => (typeof form[name] === 'string' ? form[name] : '');
    if (!tokens.check(ctx, uid, field('csrf'))) {
      return page(ctx, 403, errorPage('Form expired', 'This form is no longer valid. Go back to the application and start again.'));
    }

    if (action === 'abort') {
      return finish(ctx, deps, { error: 'access_denied', error_description: 'the user denied access' }, false);
    }
    if (action === 'login') {
      if (details.prompt.name !== 'login') return page(ctx, 400, errorPage('Cannot continue', 'You are already signed in.'));
      return login(ctx, deps, details, field('username'), field('password'), tokens.issue(ctx, uid), client);
    }
    if (details.prompt.name !== 'consent' || !details.session) return page(ctx, 400, errorPage('Cannot continue', 'There is nothing to allow.'));
    return confirm(ctx, deps, details, details.session.accountId);
  };
}

async function login(
  ctx: Koa.Context,
  deps: InteractionDeps,
  details: InteractionDetails,
  username: string,
  password: string,
  csrf: string,
  client: string,
): Promise<void> {
  const again = (status: number, error: string) =>
    page(ctx, status, loginPage({ action: `${interactionPath(details.uid)}/login`, csrf, client, username, error }));
  if (!username || !password) return again(400, 'Enter your username (or email) and password.');
  if (!deps.tenant) return again(401, 'No users can sign in here: the server has no tenant configured.');
  try {
    // An email names its user, as on the APIs' own login forms; the throttle then counts that user.
    const byEmail = username.includes('@') ? await deps.engine.directory.findUserByEmail(deps.tenant, username.trim()) : undefined;
    const principal = await deps.engine.passwordLogin(ctx.ip, deps.tenant, byEmail?.username ?? username, password);
    return finish(ctx, deps, { login: { accountId: accountIdOf(principal.tenant, principal.userId) } });
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    if (err.code === 'unauthenticated') return again(401, 'Wrong username or password.');
    if (err.code === 'rate_limited') return again(429, 'Too many failed sign-in attempts. Try again later.');
    throw err;
  }
}

/**
 * The account of the browser's gateway login (the `sage_session` cookie of
 * a web login on this gateway), so a user signed in there is not asked for
 * the password again. Only when the client asked for no fresh login
 * (`prompt=login`, `max_age`), and only for a user of this server's tenant.
 */
async function gatewayLogin(ctx: Koa.Context, deps: InteractionDeps, details: InteractionDetails): Promise<string | undefined> {
  if (!deps.tenant || !details.prompt.reasons.every((reason) => reason === 'no_session')) return undefined;
  const cookie = ctx.cookies.get(LOGIN_COOKIE, { signed: true });
  const principal = cookie ? await deps.engine.sessions.verify(cookie) : undefined;
  return principal?.tenant === deps.tenant ? accountIdOf(principal.tenant, principal.userId) : undefined;
}

/** Grants what the request asks beyond what the user granted before (kept across logins by `RememberedConsent`). */
async function confirm(ctx: Koa.Context, deps: InteractionDeps, details: InteractionDetails, accountId: string): Promise<void> {
  const { Grant } = deps.provider;
  const clientId = String(details.params.client_id);
  const existing = details.grantId ? await Grant.find(details.grantId) : undefined;
  const grant = existing ?? new Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  const grantId = await grant.save();
  await deps.consent.remember(accountId, clientId, grantId);
  return finish(ctx, deps, { consent: existing ? {} : { grantId } });
}

/** Hands the step's result to oidc-provider and sends the browser back to the authorization endpoint. */
async function finish(ctx: Koa.Context, deps: InteractionDeps, result: Parameters<Provider['interactionResult']>[2], merge = true): Promise<void> {
  const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

function requestedScopes(details: InteractionDetails): string[] {
  const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
  return [...missingOIDCScope, ...Object.values(missingResourceScopes).flat()].filter((s) => s !== 'openid');
}

function page(ctx: Koa.Context, status: number, html: string): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = html;
}
