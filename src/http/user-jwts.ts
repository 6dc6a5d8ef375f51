import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import type { Engine } from '../engine/engine.js';
import { EngineError } from '../engine/errors.js';
import type { Principal } from '../engine/records.js';
import { bearerToken, type CredentialScheme } from './credentials.js';

export const ISSUER = 'switchboard';
const TENANT_CLAIM = 'tenant_code';
/** The login a token was issued for, when its API ends tokens at logout. */
export const LOGIN_CLAIM = 'sid';

export interface UserJwtOptions {
  /**
   * Whether the login a token's `sid` names is still live. Given, a token
   * with a `sid` stops verifying once its login ended (logout, a password
   * change, a removed user); tokens without one are not affected.
   */
  loginLive?: (sid: string) => Promise<boolean>;
}

/** What a presented token turned out to be. */
export type JwtCheck =
  | { kind: 'valid'; principal: Principal; claims: JWTPayload }
  /** One of ours that must be refused (expired, tampered, wrong algorithm, unknown user). */
  | { kind: 'refused'; reason: string }
  /** Not one of ours at all: other verifiers may know it. */
  | { kind: 'foreign' };

/**
 * User tokens the gateway signs for one API: HS256 JWTs with the engine's
 * key, the API's audience (so a token issued for one API never passes as
 * another's), the tenant code and the user id. Verification pins the
 * algorithm (so `none` and other algorithms are refused), the audience and
 * the issuer, and checks that the tenant and user still exist (and, for an
 * API that passes `loginLive`, that the token's login has not ended).
 */
export class UserJwts {
  constructor(
    private readonly engine: Engine,
    private readonly audience: string,
    private readonly options: UserJwtOptions = {},
  ) {}

  /** A token for the user; `ttlSeconds: null` makes one without `exp`. */
  async sign(tenant: string, userId: string, ttlSeconds: number | null, claims: JWTPayload = {}, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    const jwt = new SignJWT({ ...claims, [TENANT_CLAIM]: tenant })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setAudience(this.audience)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setJti(randomUUID());
    if (ttlSeconds !== null) jwt.setExpirationTime(iat + ttlSeconds);
    return jwt.sign(this.engine.signingKey);
  }

  /** `label` names the token in refusals ("access token expired"). */
  async check(token: string, label = 'access token'): Promise<JwtCheck> {
    if (!this.isOurs(token)) return { kind: 'foreign' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.engine.signingKey, {
        algorithms: ['HS256'],
        audience: this.audience,
        issuer: ISSUER,
        requiredClaims: ['sub', TENANT_CLAIM],
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      return { kind: 'refused', reason: code === 'ERR_JWT_EXPIRED' ? `${label} expired` : `invalid ${label}` };
    }
    const tenant = payload[TENANT_CLAIM];
    const userId = payload.sub;
    if (typeof tenant !== 'string' || typeof userId !== 'string') return { kind: 'refused', reason: `invalid ${label}` };
    const sid = payload[LOGIN_CLAIM];
    const { loginLive } = this.options;
    if (loginLive && sid !== undefined) {
      // A signature alone cannot tell that its login ended: this costs one store
      // read per request, the price of tokens that really end at logout.
      if (typeof sid !== 'string' || !sid) return { kind: 'refused', reason: `invalid ${label}` };
      if (!(await loginLive(sid))) return { kind: 'refused', reason: `${label} ended with its login` };
    }
    const { directory } = this.engine;
    const user = (await directory.getTenant(tenant)) ? await directory.getUser(tenant, userId) : undefined;
    if (!user) return { kind: 'refused', reason: `invalid ${label}` };
    return { kind: 'valid', principal: directory.principalOf(user, 'jwt'), claims: payload };
  }

  /**
   * Whether a token claims this audience. This reads the unverified claims
   * only to pick the verifier; acceptance is decided by the signature check.
   */
  private isOurs(token: string): boolean {
    if (token.split('.').length !== 3) return false;
    try {
      const { aud } = decodeJwt(token);
      return aud === this.audience || (Array.isArray(aud) && aud.includes(this.audience));
    } catch {
      return false;
    }
  }
}

/** What a dialect's token check answers (a `JwtCheck` without the claims will do). */
export type UserTokenCheck = { kind: 'valid'; principal: Principal } | { kind: 'refused'; reason: string } | { kind: 'foreign' };

/**
 * A bearer-token credential scheme over a dialect's token check: a token of
 * ours that is no good is refused with its reason; one that is not ours is
 * left to the other kinds a route lists.
 */
export function userTokenScheme(check: (token: string) => Promise<UserTokenCheck>): CredentialScheme {
  return {
    label: 'access token',
    read: (request, places) => bearerToken(request, places),
    verify: async (token) => {
      const checked = await check(token);
      if (checked.kind === 'refused') throw new EngineError('unauthenticated', checked.reason, { reason: 'refused' });
      return checked.kind === 'valid' ? { kind: 'user', principal: checked.principal } : undefined;
    },
  };
}
