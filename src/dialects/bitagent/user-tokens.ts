import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify } from 'jose';
import type { Engine } from '../../engine/engine.js';
import type { Principal } from '../../engine/records.js';

/** Marks a JWT as a bit-Agent user token, so tokens the gateway signs for other APIs never pass as one. */
export const AUDIENCE = 'switchboard:bitagent';
export const ISSUER = 'switchboard';
const TENANT_CLAIM = 'tenant_code';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number | null;
}

/** What a presented token turned out to be. */
export type TokenCheck =
  | { kind: 'valid'; principal: Principal }
  /** A bit-Agent user token that must be refused (expired, tampered, wrong algorithm, unknown user). */
  | { kind: 'refused'; reason: string }
  /** Not a bit-Agent user token at all: other verifiers may know it. */
  | { kind: 'foreign' };

/**
 * The user tokens of `POST /auth/user-token`: HS256 JWTs signed with the
 * engine's key, carrying the tenant code and the user id. Verification pins
 * the algorithm (so `none` and other algorithms are refused), the audience
 * and the issuer, and checks that the tenant and user still exist.
 */
export class UserTokens {
  constructor(
    private readonly engine: Engine,
    /** Lifetime in seconds; `null` issues tokens without `exp`. */
    private readonly ttlSeconds: number | null,
  ) {}

  async issue(tenant: string, userId: string, now = Date.now()): Promise<IssuedToken> {
    const iat = Math.floor(now / 1000);
    const jwt = new SignJWT({ [TENANT_CLAIM]: tenant })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .setIssuedAt(iat)
      .setJti(randomUUID());
    if (this.ttlSeconds !== null) jwt.setExpirationTime(iat + this.ttlSeconds);
    return { access_token: await jwt.sign(this.engine.signingKey), token_type: 'Bearer', expires_in: this.ttlSeconds };
  }

  async check(token: string): Promise<TokenCheck> {
    if (!isOurs(token)) return { kind: 'foreign' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.engine.signingKey, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        issuer: ISSUER,
        requiredClaims: ['sub', TENANT_CLAIM],
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      return { kind: 'refused', reason: code === 'ERR_JWT_EXPIRED' ? 'access token expired' : 'invalid access token' };
    }
    const tenant = payload[TENANT_CLAIM];
    const userId = payload.sub;
    if (typeof tenant !== 'string' || typeof userId !== 'string') return { kind: 'refused', reason: 'invalid access token' };
    const { directory } = this.engine;
    const user = (await directory.getTenant(tenant)) ? await directory.getUser(tenant, userId) : undefined;
    if (!user) return { kind: 'refused', reason: 'invalid access token' };
    return { kind: 'valid', principal: directory.principalOf(user, 'jwt') };
  }
}

/**
 * Whether a token claims to be a bit-Agent user token. This reads the
 * unverified claims only to pick the verifier; acceptance is decided by the
 * signature check in `check`.
 */
function isOurs(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    const { aud } = decodeJwt(token);
    return aud === AUDIENCE || (Array.isArray(aud) && aud.includes(AUDIENCE));
  } catch {
    return false;
  }
}
