import type { Principal, User } from '../../engine/records.js';
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

/** The username a login names: itself, or the username of the tenant's user with that email. */
export async function usernameForLogin(c: SageContext, tenant: string, given: string): Promise<string> {
  if (!given.includes('@') || (await c.engine.directory.findUserByUsername(tenant, given))) return given;
  return (await userByEmail(c, tenant, given))?.username ?? given;
}

/** The tenant's user with this email (case-insensitive), if any. */
export function userByEmail(c: SageContext, tenant: string, email: string): Promise<User | undefined> {
  return c.engine.directory.findUserByEmail(tenant, email);
}
