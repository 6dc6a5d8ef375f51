import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';

const COOKIE = 'sb_oauth_form';
const COOKIE_PATH = '/oauth2/interaction';

/**
 * CSRF tokens for the login and consent forms: an HMAC, under the cookie
 * keys, of the interaction id and a random secret this browser holds in a
 * cookie of its own. A page from another site can neither read the token
 * nor make one, and a token is good only for its interaction in the browser
 * it was shown to. Any cookie key verifies, so rotating keys does not break
 * a form already on screen.
 */
export class FormTokens {
  constructor(private readonly keys: readonly string[]) {
    if (keys.length === 0) throw new Error('form tokens need at least one cookie key');
  }

  /** The token for a form of interaction `uid`, setting the browser's secret first when it has none. */
  issue(ctx: Koa.Context, uid: string): string {
    let secret = this.secretOf(ctx);
    if (!secret) {
      secret = randomBytes(24).toString('base64url');
      ctx.cookies.set(COOKIE, secret, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: ctx.secure, signed: true, overwrite: true });
    }
    return this.sign(this.keys[0]!, uid, secret);
  }

  check(ctx: Koa.Context, uid: string, token: string): boolean {
    const secret = this.secretOf(ctx);
    if (!secret || !token) return false;
    const given = Buffer.from(token);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.sign(key, uid, secret));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private secretOf(ctx: Koa.Context): string | undefined {
    return ctx.cookies.get(COOKIE, { signed: true }) || undefined;
  }

  private sign(key: string, uid: string, secret: string): string {
    return createHmac('sha256', key).update(`oauth form\n${uid}\n${secret}`).digest('base64url');
  }
}
