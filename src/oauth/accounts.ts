import { scopedKey } from '../engine/keys.js';
import type { Directory } from '../engine/directory.js';
import type { User } from '../engine/records.js';

/**
 * The `sub` of a gateway user: tenant and user id, each URI-encoded and
 * joined by `/`, so a user id with a `/` in it cannot pass for another
 * tenant's user.
 */
export const accountIdOf = (tenant: string, userId: string): string => scopedKey(tenant, userId);

/** The tenant and user id an account id names; undefined for anything `accountIdOf` did not make. */
export function parseAccountId(accountId: string): { tenant: string; userId: string } | undefined {
  const parts = accountId.split('/');
  if (parts.length !== 2) return undefined;
  try {
    const [tenant, userId] = parts.map(decodeURIComponent) as [string, string];
    return tenant && userId ? { tenant, userId } : undefined;
  } catch {
    return undefined;
  }
}

/** The claims each scope releases (oidc-provider's `claims` option). */
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['preferred_username', 'tenant'],
  email: ['email', 'email_verified'],
};

export interface Account {
  accountId: string;
  claims(): Record<string, unknown>;
}

/**
 * oidc-provider's `findAccount`: the directory's user, read on every call, so
 * a user removed since a token was issued is no account any more (userinfo
 * and introspection then fail) and a changed email shows at once.
 */
export function accountFinder(directory: Directory) {
  return async (_ctx: unknown, sub: string): Promise<Account | undefined> => {
    const ids = parseAccountId(sub);
    const user = ids && (await directory.getUser(ids.tenant, ids.userId));
    return user ? { accountId: sub, claims: () => claimsOf(sub, user) } : undefined;
  };
}

function claimsOf(sub: string, user: User): Record<string, unknown> {
  return {
    sub,
    preferred_username: user.username,
    tenant: user.tenant,
    // The directory does not prove addresses, so none is claimed verified.
    ...(user.email ? { email: user.email, email_verified: false } : {}),
  };
}
