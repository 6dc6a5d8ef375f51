import type { Engine } from '../../engine/engine.js';
import { UserJwts, type JwtCheck } from '../../http/user-jwts.js';

/** Marks a JWT as a bit-Agent user token, so tokens the gateway signs for other APIs never pass as one. */
export const AUDIENCE = 'switchboard:bitagent';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number | null;
}

/** The user tokens of `POST /auth/user-token` (see `UserJwts`). */
export class UserTokens {
  private readonly jwts: UserJwts;

  constructor(
    engine: Engine,
    /** Lifetime in seconds; `null` issues tokens without `exp`. */
    private readonly ttlSeconds: number | null,
  ) {
    this.jwts = new UserJwts(engine, AUDIENCE);
  }

  async issue(tenant: string, userId: string, now = Date.now()): Promise<IssuedToken> {
    const token = await this.jwts.sign(tenant, userId, this.ttlSeconds, {}, now);
    return { access_token: token, token_type: 'Bearer', expires_in: this.ttlSeconds };
  }

  check(token: string): Promise<JwtCheck> {
    return this.jwts.check(token);
  }
}
