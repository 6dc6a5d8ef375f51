import type Koa from 'koa';
import { EngineError } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import type { Handler } from '../../http/dialect.js';
import { optionalText, requiredText, sageBody } from './auth-body.js';
import { mailerOf } from './auth-mail.js';
import { sageTenant } from './auth-tokens.js';
import { userByEmail } from './auth-users.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { registrationOpen } from './system-settings.js';

const CODE_TTL_SECONDS = 600;
/** One code a minute per address; a few a quarter hour per client. */
const PER_EMAIL = { attempts: 1, windowSeconds: 60 };
const PER_CLIENT = { attempts: 5, windowSeconds: 900 };
const REGISTER_PER_CLIENT = { attempts: 10, windowSeconds: 900 };
// No separators or quoting in either part: an address a mail header could read as more than one.
const EMAIL = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\"]+\.[^\s@,;:<>()[\]\\"]+$/;

const CLOSED = { 'zh-CN': '当前服务未启用本地账号注册', en: 'Local registration is not enabled on this server' };
const TOO_MANY = { 'zh-CN': '请求过于频繁，请稍后再试', en: 'Too many requests, please try again later' };
const TAKEN = { 'zh-CN': '该邮箱已被注册', en: 'This email is already registered' };

/** Registration by email code: `send-code` mails a six-digit code, `register` creates the account with it. */
export function registerHandlers(c: SageContext): Record<string, Handler> {
  const tenant = sageTenant(c);
  const { engine } = c;
  const registrar: Principal = { tenant, userId: 'registration', username: 'registration', admin: true, via: 'system' };
  const mailer = mailerOf(c);

  const sendCode: Handler = async (ctx) => {
    if (!(await registrationOpen(c))) throw sageError('invalid_argument', CLOSED);
    const email = emailOf(sageBody(ctx));
    // The client's budget first, so nobody can make the server log in to its mail server at will;
    // then the mail server, before the address's budget or a code is spent on a mail that cannot go.
    await limited(() => engine.attempts.take('sage-send-code-client', ctx.ip, PER_CLIENT, TOO_MANY['zh-CN']));
    await mailer.check();
    await limited(() => engine.attempts.take('sage-send-code-email', email, PER_EMAIL, TOO_MANY['zh-CN']));
    if (await userByEmail(c, tenant, email)) throw sageError('conflict', TAKEN, { field: 'email' });
    const code = await engine.emailCodes.issue(tenant, email, CODE_TTL_SECONDS);
    try {
      await mailer.send({
        to: email,
        subject: 'Sage 注册验证码 / Sage registration code',
        text: `您的验证码是 ${code}，${CODE_TTL_SECONDS / 60} 分钟内有效。\nYour code is ${code}; it is valid for ${CODE_TTL_SECONDS / 60} minutes.`,
      });
    } catch (err) {
      // Nobody received it: used up here, so it is not left live to be guessed.
      await engine.emailCodes.consume(tenant, email, code);
      throw err;
    }
    return { expires_in: CODE_TTL_SECONDS, retry_after: PER_EMAIL.windowSeconds };
  };

  const register: Handler = async (ctx: Koa.Context) => {
    if (!(await registrationOpen(c))) throw sageError('invalid_argument', CLOSED);
    await limited(() => engine.attempts.take('sage-register-client', ctx.ip, REGISTER_PER_CLIENT, TOO_MANY['zh-CN']));
    const body = sageBody(ctx);
    const username = requiredText(body, 'username').trim();
    const password = requiredText(body, 'password');
    const email = emailOf(body);
    const code = optionalText(body, 'verification_code')?.trim() ?? '';
    if (!/^\d{6}$/.test(code) || !(await engine.emailCodes.consume(tenant, email, code))) {
      throw sageError('invalid_argument', { 'zh-CN': '验证码错误或已过期', en: 'The verification code is wrong or expired' }, { field: 'verification_code' });
    }
    if (await userByEmail(c, tenant, email)) throw sageError('conflict', TAKEN, { field: 'email' });
    try {
      const user = await engine.directory.createUser(registrar, { username, password, email, admin: false });
      return { user_id: user.id };
    } catch (err) {
      if (err instanceof EngineError && err.code === 'conflict') throw sageError('conflict', { 'zh-CN': '用户名已存在', en: 'This username is taken' }, { field: 'username' });
      throw err;
    }
  };

  return { authRegisterSendCode: sendCode, legacyRegisterSendCode: sendCode, authRegister: register, legacyRegister: register };
}

function emailOf(body: Record<string, unknown>): string {
  const email = requiredText(body, 'email').trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) throw sageError('invalid_argument', { 'zh-CN': '邮箱格式不正确', en: 'Invalid email address' }, { field: 'email' });
  return email;
}

/** The attempt budget's refusal in this API's words (its retry delay kept). */
export async function limited(take: () => Promise<void>): Promise<void> {
  try {
    await take();
  } catch (err) {
    if (err instanceof EngineError && err.code === 'rate_limited') throw sageError('rate_limited', TOO_MANY, err.detail);
    throw err;
  }
}
