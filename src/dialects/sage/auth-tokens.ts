import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import { UserJwts } from '../../http/user-jwts.js';
import type { SageContext } from './context.js';

/** Marks a JWT as a Sage access token, so tokens the gateway signs for other APIs never pass as one. */
export const SAGE_AUDIENCE = 'switchboard:sage';
/** The login session cookie the web UI sends with `credentials: include`. */
export const SESSION_COOKIE = 'sage_session';

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
 * What a login hands out: an access token (a signed JWT, checked without a
 * store read), a refresh token (stored hashed, rotated on use) and the
 * server-side session behind the `sage_session` cookie, which logout ends at once.
 */
export class SageTokens {
  readonly jwts: UserJwts;

  constructor(private readonly c: SageContext) {
    this.jwts = new UserJwts(c.engine, SAGE_AUDIENCE);
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
    const refresh = await this.c.engine.refreshTokens.issue(principal);
    return { ...(await this.access(principal)), refresh_token: refresh };
  }

  /** A new access token and the next refresh token, for a live refresh token (401 otherwise). */
  async refresh(refreshToken: string): Promise<SageLogin> {
    const redeemed = await this.c.engine.refreshTokens.rotate(refreshToken);
    const user = await this.c.engine.directory.getUser(redeemed.principal.tenant, redeemed.principal.userId);
    const principal = user ? this.c.engine.directory.principalOf(user, 'jwt') : redeemed.principal;
    return { ...(await this.access(principal)), refresh_token: redeemed.token };
  }

  /** Ends the session of the request's cookie (if any) and clears the cookie. */
  async logout(ctx: Koa.Context): Promise<void> {
    const cookie = ctx.cookies.get(SESSION_COOKIE, { signed: true });
    // Only a cookie that still proves its session may end it (its id alone is not secret).
    if (cookie && (await this.c.engine.sessions.verify(cookie))) await this.c.engine.sessions.revoke(cookie.split('.')[0] ?? '');
    // Written by hand: Koa's cookies never send `Max-Age`, and some clients honour only that.
    for (const name of [SESSION_COOKIE, `${SESSION_COOKIE}.sig`]) {
      ctx.append('Set-Cookie', `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`);
    }
  }

  private async access(principal: Principal): Promise<Omit<SageLogin, 'refresh_token'>> {
    const ttl = this.c.options.access_token_ttl_seconds;
    const token = await this.jwts.sign(principal.tenant, principal.userId, ttl);
    return { access_token: token, token_type: 'bearer', expires_in: ttl };
  }
}
