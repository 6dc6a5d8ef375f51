import { queryParam } from '../../http/request-params.js';
import type Koa from 'koa';
import { unauthenticated } from '../../engine/errors.js';
import type { Principal, Tenant } from '../../engine/records.js';
import { StoreUnavailableError } from '../../store/store.js';
import { bearerToken } from '../../http/bearer-auth.js';
import type { BitAgentContext } from './context.js';

/**
 * The caller of a user-level operation: the token of `Authorization: Bearer`
 * or, for clients that cannot set headers (EventSource, download links),
 * `?access_token=`. A bit-Agent user token is judged here so an expired one
 * says so; any other token goes to the gateway's shared verifiers (static
 * user tokens, OAuth2 access tokens), so one user is one user in every API.
 */
export async function authenticate(ctx: Koa.Context, c: BitAgentContext): Promise<Principal> {
  const token = bearerToken(ctx) ?? queryParam(ctx, 'access_token')?.trim();
  if (!token) throw unauthenticated('missing access token');
  const checked = await c.tokens.check(token);
  if (checked.kind === 'valid') return checked.principal;
  if (checked.kind === 'refused') throw unauthenticated(checked.reason);
  const principal = await c.bearer.verify(token);
  if (!principal) throw unauthenticated('invalid access token');
  return principal;
}

/** The tenant whose API key is in `Authorization`, bare (as the document shows it) or after `Bearer`. */
export async function authenticateApiKey(ctx: Koa.Context, c: BitAgentContext): Promise<Tenant> {
  const header = ctx.get('authorization').trim();
  const key = (bearerToken(ctx) ?? header).trim();
  if (!key) throw unauthenticated('missing API key');
  return c.engine.directory.authenticateApiKey(key).catch((err: unknown) => {
    // A store that cannot answer says nothing about the key: a 503, not a 401.
    if (err instanceof StoreUnavailableError) throw err;
    throw unauthenticated('invalid API key');
  });
}
