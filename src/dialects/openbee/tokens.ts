import type { OpenBeeConfig } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import { unauthenticated } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import { UserJwts } from '../../http/user-jwts.js';

/** Marks a JWT as an OpenBee token, so tokens the gateway signs for other APIs never pass as one. */
export const AUDIENCE = 'switchboard:openbee';

export type TokenType = 'access' | 'refresh';

/** What a presented token turned out to be (see `JwtCheck`). */
export type BeeTokenCheck = { kind: 'valid'; principal: Principal } | { kind: 'refused'; reason: string } | { kind: 'foreign' };

/**
 * The tokens of `POST /api/auth/login`: an access token (2 h by default) and
 * a refresh token (7 days) that only `POST /api/auth/refresh` takes and that
 * is not rotated. Their `type` claim keeps one from passing as the other.
 */
export class OpenBeeTokens {
  private readonly jwts: UserJwts;

  constructor(
    engine: Engine,
    private readonly options: Pick<OpenBeeConfig, 'access_token_ttl_seconds' | 'refresh_token_ttl_seconds'>,
  ) {
    this.jwts = new UserJwts(engine, AUDIENCE);
  }

  /** The login answer: `{access_token, refresh_token, expires_in}`. */
  async login(principal: Principal): Promise<{ access_token: string; refresh_token: string; expires_in: number }> {
    const [access, refresh] = await Promise.all([this.issue(principal, 'access'), this.issue(principal, 'refresh')]);
    return { access_token: access, refresh_token: refresh, expires_in: this.options.access_token_ttl_seconds };
  }

  /** The refresh answer, `{access_token, expires_in}`, for a good refresh token; 401 otherwise. */
  async refresh(refreshToken: string): Promise<{ access_token: string; expires_in: number }> {
    const checked = await this.check(refreshToken, 'refresh');
    if (checked.kind !== 'valid') throw unauthenticated(checked.kind === 'refused' ? checked.reason : 'invalid refresh token');
    return { access_token: await this.issue(checked.principal, 'access'), expires_in: this.options.access_token_ttl_seconds };
  }

  /** A token of the given type; one of the other type is refused, not foreign (it is ours). */
  async check(token: string, type: TokenType): Promise<BeeTokenCheck> {
    const label = `${type} token`;
    const checked = await this.jwts.check(token, label);
    if (checked.kind !== 'valid') return checked;
    if (checked.claims.type !== type) return { kind: 'refused', reason: `invalid ${label}` };
    return { kind: 'valid', principal: checked.principal };
  }

  private issue(principal: Principal, type: TokenType): Promise<string> {
    const ttl = type === 'access' ? this.options.access_token_ttl_seconds : this.options.refresh_token_ttl_seconds;
    return this.jwts.sign(principal.tenant, principal.userId, ttl, { type });
  }
}
