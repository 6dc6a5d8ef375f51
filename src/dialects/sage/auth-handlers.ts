import { EngineError } from '../../engine/errors.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { optionalText, requiredText, sageBody } from './auth-body.js';
import { registerHandlers } from './auth-register.js';
import { SageTokens, sageTenant } from './auth-tokens.js';
import { currentUser, userInfoOf, usernameForLogin } from './auth-users.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { upstreamLoginHandlers } from './upstream-login.js';

const WRONG_LOGIN = { 'zh-CN': '用户名或密码错误', en: 'Incorrect username or password' };
const TOO_MANY = { 'zh-CN': '登录尝试过多，请稍后再试', en: 'Too many login attempts, please try again later' };
const NO_PASSWORD_LOGIN = { 'zh-CN': '当前服务未启用本地账号密码登录', en: 'Local password login is not enabled on this server' };

/** The providers a login page offers: the password form whenever password login is on, else the upstream providers. */
export function authProvidersOf(c: SageContext): { id: string; type: string; name: string }[] {
  if (c.options.auth_mode !== 'oauth') return [{ id: 'native', type: 'native', name: '账号密码' }];
  return c.options.upstream_providers.map((p) => ({ id: p.id, type: 'oidc', name: p.name ?? p.id }));
}

/** Whether the config has a model a chat can run on (the UI's model-setup dialog otherwise). */
export function hasProvider(c: SageContext): boolean {
  return c.config.models.some((m) => m.name === c.config.default_model);
}

/**
 * Logins, logout, the session, and the /api/user/* compatibility paths (each
 * takes its equivalent's handler). A login is checked against the directory
 * of the configured tenant and the engine's failure throttle shared with the
 * other APIs' logins; it answers tokens and sets the session cookie.
 */
export function authHandlers(c: SageContext): Record<string, Handler> {
  const { engine } = c;
  const tenant = sageTenant(c);
  const tokens = new SageTokens(c);

  const login: Handler = async (ctx) => {
    if (c.options.auth_mode === 'oauth') throw sageError('invalid_argument', NO_PASSWORD_LOGIN);
    const body = sageBody(ctx);
    const given = optionalText(body, 'username_or_email') ?? optionalText(body, 'username') ?? optionalText(body, 'email');
    if (!given?.trim()) throw sageError('invalid_argument', { 'zh-CN': '请输入用户名或邮箱', en: 'username_or_email is required' });
    const password = requiredText(body, 'password');
    const username = await usernameForLogin(c, tenant, given.trim());
    const principal = await engine.passwordLogin(ctx.ip, tenant, username, password).catch((err: unknown) => {
      if (err instanceof EngineError && err.code === 'rate_limited') throw sageError('rate_limited', TOO_MANY, err.detail);
      if (err instanceof EngineError && err.code === 'unauthenticated') throw sageError('unauthenticated', WRONG_LOGIN);
      throw err;
    });
    if (c.options.auth_mode === 'trusted_proxy' && !principal.admin) {
      throw sageError('forbidden', { 'zh-CN': '当前模式下仅管理员可使用密码登录', en: 'In this mode only administrators may log in with a password' });
    }
    return tokens.login(ctx, principal);
  };

  const logout: Handler = async (ctx) => {
    await tokens.logout(ctx);
    const refresh = optionalText(sageBody(ctx), 'refresh_token');
    if (refresh) await engine.refreshTokens.revoke(refresh);
    return {};
  };

  const session = asUser(async (_ctx, principal) => {
    const user = await currentUser(c, principal);
    const agents = await engine.directory.listAgents(principal, { offset: 0, limit: 1 });
    return { user: userInfoOf(user), has_provider: hasProvider(c), has_agent: agents.total > 0 };
  });

  const providers: Handler = async () => ({ auth_providers: authProvidersOf(c) });

  const upstream = upstreamLoginHandlers(c, tokens);

  const changePassword = asUser(async (ctx, principal) => {
    const body = sageBody(ctx);
    const current = requiredText(body, 'old_password');
    const next = requiredText(body, 'new_password');
    try {
      await engine.directory.changePassword(principal, current, next);
    } catch (err) {
      if (err instanceof EngineError && err.code === 'forbidden') {
        throw sageError('invalid_argument', { 'zh-CN': '原密码错误', en: 'The current password is incorrect' });
      }
      throw err;
    }
    return {};
  });

  const refreshToken: Handler = async (ctx) => {
    const token = requiredText(sageBody(ctx), 'refresh_token');
    try {
      return await tokens.refresh(token);
    } catch (err) {
      if (err instanceof EngineError && err.code === 'unauthenticated') {
        throw sageError('unauthenticated', { 'zh-CN': '刷新令牌无效或已过期', en: 'The refresh token is invalid or expired' });
      }
      throw err;
    }
  };

  const profile = asUser(async (_ctx, principal) => userInfoOf(await currentUser(c, principal)));

  return {
    authLogin: login,
    legacyLogin: login,
    authLogout: logout,
    legacyLogout: logout,
    authSession: session,
    legacyCheckLogin: session,
    authProviders: providers,
    legacyAuthProviders: providers,
    authUpstreamLoginProvider: upstream.login,
    authUpstreamLogin: upstream.login,
    authUpstreamCallback: upstream.callback,
    legacyOauthLoginProvider: upstream.login,
    legacyOauthLogin: upstream.login,
    legacyOauthCallback: upstream.callback,
    userChangePassword: changePassword,
    userRefreshToken: refreshToken,
    userProfile: profile,
    ...registerHandlers(c),
  };
}
