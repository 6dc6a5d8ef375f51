import type Koa from 'koa';
import type { Engine } from '../engine/engine.js';

/**
 * The gateway's browser login: a signed cookie naming a server-side session
 * (`engine.sessions`), whose id is also its refresh tokens' family. Sage's
 * web UI logs in with it (the name is the one its clients know); the OAuth2
 * server's end-session ends it too, so signing out there signs the browser
 * out of the gateway.
 */
export const LOGIN_COOKIE = 'sage_session';

/** Ends one login: its session and every refresh token of its family (access tokens naming it then fail). */
export async function endLogin(engine: Engine, sid: string): Promise<void> {
  await engine.refreshTokens.revokeFamily(sid);
  await engine.sessions.revoke(sid);
}

/** Ends the login of the request's cookie, when it still proves its session (its id alone is not secret). */
export async function endCookieLogin(ctx: Pick<Koa.Context, 'cookies'>, engine: Engine): Promise<void> {
  const cookie = ctx.cookies.get(LOGIN_COOKIE, { signed: true });
  if (cookie && (await engine.sessions.verify(cookie))) await endLogin(engine, cookie.split('.')[0] ?? '');
}

/** Ends the request's cookie login (when it proves one) and clears the cookie. */
export async function signOutCookieLogin(ctx: Pick<Koa.Context, 'cookies' | 'append'>, engine: Engine): Promise<void> {
  await endCookieLogin(ctx, engine);
  clearLoginCookie(ctx);
}

/** Clears the login cookie and its signature. Written by hand: Koa's cookies never send `Max-Age`, and some clients honour only that. */
export function clearLoginCookie(ctx: Pick<Koa.Context, 'append'>): void {
  for (const name of [LOGIN_COOKIE, `${LOGIN_COOKIE}.sig`]) {
    ctx.append('Set-Cookie', `${name}=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`);
  }
}
