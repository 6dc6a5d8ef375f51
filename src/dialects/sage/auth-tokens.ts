import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import { bearerToken } from '../../http/credentials.js';
import { endLogin, LOGIN_COOKIE } from '../../http/login-cookie.js';
import { LOGIN_CLAIM, UserJwts } from '../../http/user-jwts.js';
import type { SageContext } from './context.js';

/** Marks a JWT as a Sage access token, so tokens the gateway signs for other APIs never pass as one. */
export const SAGE_AUDIENCE = 'switchboard:sage';
/** The login session cookie the web UI sends with `credentials: include`. */
export const SESSION_COOKIE = LOGIN_COOKIE;

/** The tenant Sage logins live in: the configured one, else the first bootstrap tenant. */
export function sageTenant(c: SageContext): string {
  return c.options.tenant ?? c.config.bootstrap.tenants[0]?.code ?? '';
}

export interface SageLogin {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
}

/**
 * What a login hands out: an access token (a signed JWT), a refresh token
 * (stored hashed, rotated on use) and the server-side session behind the
 * `sage_session` cookie. One id names the login in all three: the session's
 * id is the refresh tokens' family and the access tokens' `sid`, so logout
 * by any of them ends all of them at once.
 *
 * An access token lives while its login's refresh family does, not while
 * the cookie session does: the session ends once idle for
 * `auth.session_idle_seconds`, and a client holding only tokens must keep
 * working until it logs out. (So a refresh TTL shorter than the access
 * token's also cuts the access token short.)
 */
export class SageTokens {
  readonly jwts: UserJwts;

  constructor(private readonly c: SageContext) {
    this.jwts = new UserJwts(c.engine, SAGE_AUDIENCE, { loginLive: (sid) => c.engine.refreshTokens.isLive(sid) });
  }

  async login(ctx: Koa.Context, principal: Principal): Promise<SageLogin> {
    const session = await this.c.engine.sessions.create(principal, { meta: { dialect: 'sage' } });
    ctx.cookies.set(SESSION_COOKIE, session.cookie, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.secure,
      path: '/',
      expires: new Date(session.expiresAt),
    });
    const refresh = await this.c.engine.refreshTokens.issue(principal, { family: session.id });
    return { ...(await this.access(principal, session.id)), refresh_token: refresh };
  }

  /** A new access token and the next refresh token, for a live refresh token (401 otherwise). */
  async refresh(refreshToken: string): Promise<SageLogin> {
    const redeemed = await this.c.engine.refreshTokens.rotate(refreshToken);
    const user = await this.c.engine.directory.getUser(redeemed.principal.tenant, redeemed.principal.userId);
    const principal = user ? this.c.engine.directory.principalOf(user, 'jwt') : redeemed.principal;
    return { ...(await this.access(principal, redeemed.family)), refresh_token: redeemed.token };
  }

  /**
   * Ends the login of the request's access token (when present and still
   * good), and signs the browser out of the gateway: its cookie login and its
   * authorization-server session.
   */
  async logout(ctx: Koa.Context): Promise<void> {
    const token = bearerToken(ctx);
    const checked = token ? await this.jwts.check(token) : undefined;
    const sid = checked?.kind === 'valid' ? checked.claims[LOGIN_CLAIM] : undefined;
    if (typeof sid === 'string' && sid) await endLogin(this.c.engine, sid);
    await this.c.signOut(ctx);
  }

  private async access(principal: Principal, sid: string): Promise<Omit<SageLogin, 'refresh_token'>> {
    const ttl = this.c.options.access_token_ttl_seconds;
    const token = await this.jwts.sign(principal.tenant, principal.userId, ttl, { [LOGIN_CLAIM]: sid });
    return { access_token: token, token_type: 'bearer', expires_in: ttl };
  }
}
