import type Koa from 'koa';
import type { Directory } from '../engine/directory.js';
import type { Principal } from '../engine/records.js';
import { StoreUnavailableError } from '../store/store.js';

/**
 * Turns a presented bearer token into a principal. Verifiers are tried in
 * order; the first that recognises the token decides. Static user tokens come
 * first; other credential kinds (OAuth2 access tokens, dialect JWTs) slot in
 * with `add` without any dialect changing.
 */
export type BearerVerifier = (token: string) => Promise<Principal | undefined>;

export class BearerAuth {
  private readonly verifiers: BearerVerifier[] = [];

  constructor(directory: Directory) {
    this.add(async (token) =>
      directory.authenticateToken(token).catch((err: unknown) => {
        // A store that cannot answer says nothing about the token: a 503, not a 401.
        if (err instanceof StoreUnavailableError) throw err;
        return undefined;
      }),
    );
  }

  add(verifier: BearerVerifier): void {
    this.verifiers.push(verifier);
  }

  /** The principal for a token, or `undefined` when no verifier accepts it. */
  async verify(token: string): Promise<Principal | undefined> {
    for (const verify of this.verifiers) {
      const principal = await verify(token);
      if (principal) return principal;
    }
    return undefined;
  }
}

/** The token of an `Authorization: Bearer …` header, `undefined` when there is none. */
export function bearerToken(ctx: Koa.Context): string | undefined {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim() || undefined;
}
