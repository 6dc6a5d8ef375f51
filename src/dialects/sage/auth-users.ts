import type { Principal, User } from '../../engine/records.js';
import type { UserView } from '../../engine/users.js';
import type { SageContext } from './context.js';

/** The user object of the session and profile answers (UserInfoResponse.user). */
export interface SageUserInfo {
  userid: string;
  username: string;
  nickname: string;
  role: 'admin' | 'user';
  email: string;
  phonenum: string;
  avatar: string;
  avatar_url: string;
}

export function userInfoOf(user: Pick<User, 'id' | 'username' | 'email' | 'admin'>): SageUserInfo {
  return {
    userid: user.id,
    username: user.username,
    nickname: user.username,
    role: user.admin ? 'admin' : 'user',
    email: user.email ?? '',
    phonenum: '',
    avatar: '',
    avatar_url: '',
  };
}

/** The caller's own record as the directory holds it now. */
export async function currentUser(c: SageContext, principal: Principal): Promise<Pick<User, 'id' | 'username' | 'email' | 'admin'>> {
  const user = await c.engine.directory.getUser(principal.tenant, principal.userId);
  return user ?? { id: principal.userId, username: principal.username, admin: principal.admin };
}

const PAGE = 200;

/**
 * The username a login names: itself, or the username of the tenant's user
 * with that email. The directory has no email index yet, so this walks the
 * tenant's users (a page at a time) as the tenant's administrator would.
 */
export async function usernameForLogin(c: SageContext, tenant: string, given: string): Promise<string> {
  if (!given.includes('@') || (await c.engine.directory.findUserByUsername(tenant, given))) return given;
  return (await userByEmail(c, tenant, given))?.username ?? given;
}

/** The tenant's user with this email (case-insensitive), if any. */
export async function userByEmail(c: SageContext, tenant: string, email: string): Promise<UserView | undefined> {
  const reader: Principal = { tenant, userId: 'system', username: 'system', admin: true, via: 'system' };
  const wanted = email.trim().toLowerCase();
  for (let offset = 0; ; offset += PAGE) {
    const { items } = await c.engine.directory.listUsers(reader, { offset, limit: PAGE });
    const found = items.find((u) => u.email?.toLowerCase() === wanted);
    if (found || items.length < PAGE) return found;
  }
}
