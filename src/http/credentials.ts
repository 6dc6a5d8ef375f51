import { EngineError } from '../engine/errors.js';
import type { Principal, Tenant } from '../engine/records.js';
import { CredentialCache, type CredentialCacheOptions } from './credential-cache.js';
import type { RequestView } from './dialect.js';

/** Every credential kind a route may list in its `auth` (config/dialects/*.yaml). */
export const SCHEME_NAMES = ['none', 'api_key', 'static_token', 'bitagent_token', 'openbee_token', 'sage_token', 'session_cookie', 'proxy_header', 'oauth_token'] as const;
export type SchemeName = (typeof SCHEME_NAMES)[number];

/**
 * The kinds whose verification the cache may answer: a lookup of directory
 * records alone (the credential by its hash, then its user or tenant), each
 * change of which clears the cache. A signed token (`bitagent_token`)
 * carries its own expiry as well, so it is checked every time.
 */
const CACHED_SCHEMES: ReadonlySet<SchemeName> = new Set(['static_token', 'api_key']);

/** Who a request proved to be: a user, a tenant (by its API key), or nobody on a public route. */
export type Caller = { kind: 'user'; principal: Principal } | { kind: 'tenant'; tenant: Tenant } | { kind: 'anonymous' };

/** Where a route lets a credential come from, beyond the scheme's usual place. */
export interface CredentialPlaces {
  /** Query parameter that may carry a bearer token (`access_token`), for clients that cannot set headers. */
  tokenQuery?: string;
}

/** What a scheme may read of a request. A Koa context satisfies it. */
export interface CredentialRequest extends RequestView {
  readonly query: Record<string, string | string[] | undefined>;
}

/**
 * One kind of credential: where it sits in a request and what it proves.
 * `verify` answers `undefined` for a credential that is not of its kind
 * (another scheme sharing the same place may know it), throws
 * `unauthenticated` to refuse one that is of its kind but no good (expired,
 * revoked), and lets a store failure through (the dialect's 503, never a 401).
 */
export interface CredentialScheme {
  /** What clients call the credential, for "missing …" / "invalid …": `access token`, `API key`. */
  readonly label: string;
  read(request: CredentialRequest, places: CredentialPlaces): string | undefined;
  verify(credential: string): Promise<Caller | undefined>;
}

/**
 * The gateway's one registry of credential schemes. The gateway registers
 * the shared ones (static tokens, API keys), each dialect its own when it is
 * built (bit-Agent user tokens), so every route can accept any kind it lists
 * whichever API issued it: one user is one user in every API.
 */
export class Credentials {
  private readonly schemes = new Map<SchemeName, CredentialScheme>();
  private readonly cache: CredentialCache | undefined;

  /** With `cache`, verified static tokens and API keys are kept for a while (see `CredentialCache`). */
  constructor(cache?: CredentialCacheOptions) {
    this.cache = cache && new CredentialCache(cache);
  }

  register(name: Exclude<SchemeName, 'none'>, scheme: CredentialScheme): void {
    this.schemes.set(name, scheme);
  }

  has(name: SchemeName): boolean {
    return name === 'none' || this.schemes.has(name);
  }

  /**
   * The caller a request proves under a route's `auth` list. Schemes are
   * asked in the listed order; the first that recognises a credential
   * decides. Kinds listed but not built on this gateway are skipped. With
   * nothing recognised the refusal says `missing` (no credential of any
   * listed kind) or `invalid` (one was there), in the first kind's words.
   */
  async resolve(request: CredentialRequest, auth: readonly SchemeName[], places: CredentialPlaces): Promise<Caller> {
    if (auth.includes('none')) return { kind: 'anonymous' };
    let presented: string | undefined;
    let first: string | undefined;
    for (const name of auth) {
      const scheme = this.schemes.get(name as Exclude<SchemeName, 'none'>);
      if (!scheme) continue;
      first ??= scheme.label;
      const credential = scheme.read(request, places);
      if (!credential) continue;
      presented ??= scheme.label;
      const caller = await this.verify(name, scheme, credential);
      if (caller) return caller;
    }
    const reason = presented ? 'invalid' : 'missing';
    throw new EngineError('unauthenticated', `${reason} ${presented ?? first ?? 'credentials'}`, { reason });
  }

  private verify(name: SchemeName, scheme: CredentialScheme, credential: string): Promise<Caller | undefined> {
    if (!this.cache || !CACHED_SCHEMES.has(name)) return scheme.verify(credential);
    return this.cache.verify(name, credential, () => scheme.verify(credential));
  }
}

/** The user a route's auth proved; a route that lists only tenant or no credentials has none (a table mistake). */
export function userOf(caller: Caller): Principal {
  if (caller.kind !== 'user') throw new Error(`this route's auth proves a ${caller.kind}, its handler needs a user`);
  return caller.principal;
}

/** The tenant an API-key route proved. */
export function tenantOf(caller: Caller): Tenant {
  if (caller.kind !== 'tenant') throw new Error(`this route's auth proves a ${caller.kind}, its handler needs a tenant`);
  return caller.tenant;
}

/** The token of `Authorization: Bearer …`, else of the route's token query parameter; `undefined` when neither. */
export function bearerToken(request: CredentialRequest, places: CredentialPlaces = {}): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(request.get('authorization').trim());
  const fromHeader = match?.[1]?.trim();
  if (fromHeader) return fromHeader;
  if (!places.tokenQuery) return undefined;
  const value = request.query[places.tokenQuery];
  const fromQuery = (Array.isArray(value) ? value[0] : value)?.trim();
  return fromQuery || undefined;
}
