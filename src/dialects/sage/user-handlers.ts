import { EngineError } from '../../engine/errors.js';
import type { UserView } from '../../engine/users.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { queryParam } from '../../http/request-params.js';
import { optionalText, requiredText, sageBody } from './auth-body.js';
import { currentUser, userInfoOf } from './auth-users.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/** The document the UI's `/api/user/config` reads and writes. */
const USER_CONFIG = 'sage-config';
const MAX_PAGE_SIZE = 100;

/** A user in the admin list: the session's user object plus when it was made. */
const listItemOf = (user: UserView) => ({ ...userInfoOf(user), created_at: new Date(user.createdAt).toISOString() });

/**
 * User management (admins of the Sage tenant) and each user's own config.
 * The directory checks the admin right and scopes every id to the caller's
 * tenant, so another tenant's user is simply not found.
 */
export function userHandlers(c: SageContext): Record<string, Handler> {
  const { directory, settings } = c.engine;
  return {
    // Admins pick among every user; anyone else only ever sees themselves.
    userOptions: asUser(async (_ctx, principal) => {
      const users = principal.admin ? (await directory.listUsers(principal, { offset: 0, limit: 500 })).items : [await currentUser(c, principal)];
      return users.map((u) => ({ value: u.id, label: u.username, userid: u.id, username: u.username, nickname: u.username }));
    }),

    userList: asUser(async (ctx, principal) => {
      const page = positive(queryParam(ctx, 'page'), 1, 'page');
      const size = Math.min(positive(queryParam(ctx, 'page_size'), 20, 'page_size'), MAX_PAGE_SIZE);
      const { items, total } = await directory.listUsers(principal, { offset: (page - 1) * size, limit: size });
      return { items: items.map(listItemOf), total, page, page_size: size };
    }),

    userAdd: asUser(async (ctx, principal) => {
      const body = sageBody(ctx);
      const role = optionalText(body, 'role') ?? 'user';
      if (role !== 'user' && role !== 'admin') {
        throw sageError('invalid_argument', { 'zh-CN': 'role 只能是 user 或 admin', en: 'role must be user or admin' }, { field: 'role' });
      }
      const email = optionalText(body, 'email')?.trim() || undefined;
      const user = await directory.createUser(principal, {
        username: requiredText(body, 'username').trim(),
        password: requiredText(body, 'password'),
        email,
        admin: role === 'admin',
      });
      return { user_id: user.id };
    }),

    userDelete: asUser(async (ctx, principal) => {
      const userId = requiredText(sageBody(ctx), 'user_id');
      directory.assertAdmin(principal);
      if (userId === principal.userId) throw sageError('invalid_argument', { 'zh-CN': '不能删除当前登录用户', en: 'You cannot delete yourself' });
      await directory.deleteUser(principal, userId);
      return {};
    }),

    userConfigGet: asUser(async (_ctx, principal) => ({ config: (await settings.get<Record<string, unknown>>(principal, USER_CONFIG)) ?? {} })),

    userConfigUpdate: asUser(async (ctx, principal) => {
      const config = sageBody(ctx).config;
      if (typeof config !== 'object' || config === null || Array.isArray(config)) {
        throw sageError('invalid_argument', { 'zh-CN': 'config 必须是对象', en: 'config must be an object' }, { field: 'config' });
      }
      try {
        await settings.put(principal, USER_CONFIG, config);
      } catch (err) {
        if (err instanceof EngineError && err.code === 'invalid_argument') throw sageError('invalid_argument', { 'zh-CN': '配置过大', en: err.message });
        throw err;
      }
      return { config };
    }),
  };
}

function positive(raw: string | undefined, fallback: number, field: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw sageError('invalid_argument', { 'zh-CN': `${field} 必须是正整数`, en: `${field} must be a positive integer` }, { field });
  return n;
}
