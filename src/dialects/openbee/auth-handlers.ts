import { EngineError } from '../../engine/errors.js';
import type { Handler } from '../../http/dialect.js';
import type { OpenBeeContext } from './context.js';
import { bodyObject, requiredString } from './request-body.js';

export const TOO_MANY_ATTEMPTS = 'too many attempts, please try again later';

/**
 * `POST /api/auth/login` and `/api/auth/refresh`. A login is checked against
 * the directory of the configured tenant, counted against the per-address
 * budget of attempts a minute (every attempt, right or wrong) and against the
 * engine's failure throttle shared with the other APIs' logins.
 */
export function authHandlers(c: OpenBeeContext): Record<string, Handler> {
  const { engine, options } = c;
  const tenant = options.tenant ?? c.config.bootstrap.tenants[0]?.code ?? '';
  const budget = { attempts: options.login_attempts_per_minute, windowSeconds: 60 };
  return {
    login: async (ctx) => {
      await engine.attempts.take('openbee-login', ctx.ip, budget, TOO_MANY_ATTEMPTS);
      const body = bodyObject(ctx);
      const username = requiredString(body, 'username');
      const password = requiredString(body, 'password');
      const principal = await engine.passwordLogin(ctx.ip, tenant, username, password).catch((err: unknown) => {
        // The throttle's refusal in this API's words (the per-address budget's, above).
        if (err instanceof EngineError && err.code === 'rate_limited') throw new EngineError('rate_limited', TOO_MANY_ATTEMPTS, err.detail);
        throw err;
      });
      return c.tokens.login(principal);
    },
    refresh: async (ctx) => {
      const refreshToken = requiredString(bodyObject(ctx), 'refresh_token');
      return c.tokens.refresh(refreshToken);
    },
  };
}
