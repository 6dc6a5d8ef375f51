import { randomBytes } from 'node:crypto';
import type { UpstreamProvider } from '../../config/types.js';
import { EngineError } from '../../engine/errors.js';
import type { Principal, User } from '../../engine/records.js';
import type { SageContext } from './context.js';

/** What an upstream provider says of its user: the ID token's claims, userinfo's, and its issuer. */
export interface UpstreamClaims {
  issuer: string;
  sub: string;
  preferred_username?: unknown;
  email?: unknown;
  email_verified?: unknown;
  [claim: string]: unknown;
}

/** Who creates users on their first upstream login (an admin of the tenant, as far as the directory asks). */
const creatorIn = (tenant: string): Principal => ({ tenant, userId: 'upstream-login', username: 'upstream-login', admin: true, via: 'system' });
const NAME_ATTEMPTS = 5;

/**
 * The gateway user an upstream account is, as the principal of a login: the
 * user linked to (issuer, sub) before, else on this first login an existing
 * user of the same email (when `link_by_email` allows it), else a new user
 * named after the account (`preferred_username`, else the email's local part,
 * with a suffix when the name is taken; without the email when another user
 * has it). Two first logins of one account at
 * once end as one user: the link is claimed once, and a user created for the
 * losing one is removed again.
 */
export async function upstreamUser(c: SageContext, tenant: string, provider: UpstreamProvider, claims: UpstreamClaims): Promise<Principal> {
  const { directory, upstreamIdentities } = c.engine;
  const linked = await upstreamIdentities.userOf(tenant, claims.issuer, claims.sub);
  if (linked) return directory.principalOf(linked, 'oauth');

  const email = typeof claims.email === 'string' && claims.email.includes('@') ? claims.email.trim() : undefined;
  const mayLink = provider.link_by_email === 'any' || (provider.link_by_email === 'verified' && claims.email_verified === true);
  const sameEmail = email ? await directory.findUserByEmail(tenant, email) : undefined;
  const existing = mayLink ? sameEmail : undefined;
  // Not linked: the new user does not claim an address another user already has.
  const user = existing ?? (await createUser(c, tenant, claims, sameEmail ? undefined : email));
  const holder = await upstreamIdentities.link(tenant, claims.issuer, claims.sub, user.id);
  if (!existing && holder?.id !== user.id) await directory.removeUser(tenant, user.id);
  if (!holder) throw new EngineError('unavailable', 'the upstream account could not be linked; try again');
  return directory.principalOf(holder, 'oauth');
}

async function createUser(c: SageContext, tenant: string, claims: UpstreamClaims, email: string | undefined): Promise<User> {
  const base = nameOf(claims, email);
  for (let attempt = 0; attempt < NAME_ATTEMPTS; attempt++) {
    const username = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`;
    try {
      const view = await c.engine.directory.createUser(creatorIn(tenant), { username, ...(email ? { email } : {}) });
      const user = await c.engine.directory.getUser(tenant, view.id);
      if (user) return user;
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'conflict')) throw err;
    }
  }
  throw new EngineError('conflict', 'no free username for the upstream account');
}

/** A username from the account's own name, else its email's local part, else `user`; at most 64 characters. */
function nameOf(claims: UpstreamClaims, email: string | undefined): string {
  const preferred = typeof claims.preferred_username === 'string' ? claims.preferred_username.trim() : '';
  const name = preferred || email?.split('@')[0] || 'user';
  return name.slice(0, 64);
}
