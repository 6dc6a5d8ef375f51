import type Koa from 'koa';
import { EngineError } from '../../engine/errors.js';
import type { Credentials, CredentialRequest, CredentialScheme } from '../../http/credentials.js';
import { TrustedProxies } from '../../http/trust-proxy.js';
import { userTokenScheme } from '../../http/user-jwts.js';
import { SESSION_COOKIE, SageTokens, sageTenant } from './auth-tokens.js';
import type { SageContext } from './context.js';

/** The header a trusted proxy names its user in. */
export const PROXY_HEADER = 'X-Sage-Internal-UserId';
const USER_ID = /^[A-Za-z0-9._~@-]{1,128}$/;

/** Registers the credential kinds this API issues (`sage_token`, `session_cookie`, `proxy_header`). */
export function registerSageCredentials(c: SageContext, credentials: Credentials): void {
  const tokens = new SageTokens(c);
  credentials.register(
    'sage_token',
    userTokenScheme((token) => tokens.jwts.check(token)),
  );
  credentials.register('session_cookie', sessionCookieScheme(c));
  credentials.register('proxy_header', proxyHeaderScheme(c));
}

/** The schemes get the Koa context itself; only it can check a cookie's signature and see the socket. */
const koaOf = (request: CredentialRequest): Partial<Koa.Context> => request as Partial<Koa.Context>;

/** The signed `sage_session` cookie; a forged or tampered one reads as absent. */
function sessionCookieScheme(c: SageContext): CredentialScheme {
  return {
    label: 'session cookie',
    read: (request) => koaOf(request).cookies?.get(SESSION_COOKIE, { signed: true }) || undefined,
    verify: async (cookie) => {
      const principal = await c.engine.sessions.verify(cookie);
      if (!principal) throw new EngineError('unauthenticated', 'session ended', { reason: 'refused' });
      // The session holds who logged in; the directory says who they are now (admin flag, still there).
      const user = await c.engine.directory.getUser(principal.tenant, principal.userId);
      if (!user) throw new EngineError('unauthenticated', 'session ended', { reason: 'refused' });
      return { kind: 'user', principal: c.engine.directory.principalOf(user, 'password') };
    },
  };
}

/**
 * `X-Sage-Internal-UserId`, believed only in trusted_proxy mode and only from
 * a configured proxy address (the socket's, never a forwarded one): anyone
 * else sending it is simply not recognised. The user is created on first sight.
 */
function proxyHeaderScheme(c: SageContext): CredentialScheme {
  const proxies = new TrustedProxies(c.options.trusted_proxies);
  const tenant = sageTenant(c);
  return {
    label: 'proxy identity',
    read: (request) => {
      if (c.options.auth_mode !== 'trusted_proxy') return undefined;
      const value = request.get(PROXY_HEADER).trim();
      if (!value || !proxies.trusts(koaOf(request).req?.socket.remoteAddress)) return undefined;
      return value;
    },
    verify: async (userId) => {
      if (!USER_ID.test(userId)) throw new EngineError('unauthenticated', `invalid ${PROXY_HEADER}`, { reason: 'refused' });
      const { directory } = c.engine;
      const user = (await directory.getUser(tenant, userId)) ?? (await directory.findUserByUsername(tenant, userId)) ?? (await directory.ensureUser(tenant, userId));
      return { kind: 'user', principal: directory.principalOf(user, 'token') };
    },
  };
}
