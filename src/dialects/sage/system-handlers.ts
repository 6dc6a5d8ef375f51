import { EngineError } from '../../engine/errors.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { sageBody } from './auth-body.js';
import { sageTenant } from './auth-tokens.js';
import { authProvidersOf } from './auth-handlers.js';
import type { SageContext } from './context.js';
import { observabilityHandlers } from './observability-handlers.js';
import { versionHandlers } from './version-handlers.js';
import { sageError } from './i18n.js';
import { registrationOpen, SYSTEM_SETTINGS, type SageSystemSettings } from './system-settings.js';

/** Public bootstrap (`/api/system/info`) and health. */
export function systemHandlers(c: SageContext): Record<string, Handler> {
  return {
    ...observabilityHandlers(c),
    ...versionHandlers(c),
    systemInfo: async () => ({
      allow_registration: await registrationOpen(c),
      auth_mode: c.options.auth_mode,
      auth_providers: authProvidersOf(c),
      observability_enabled: c.options.jaeger_url !== undefined,
    }),
    systemUpdateSettings: asUser(async (ctx, principal) => {
      c.engine.directory.assertAdmin(principal);
      // The settings are the Sage tenant's: an admin of another tenant has no say in them.
      if (principal.tenant !== sageTenant(c)) throw new EngineError('forbidden', 'not an administrator of the Sage tenant');
      const value = sageBody(ctx).allow_registration;
      if (typeof value !== 'boolean') {
        throw sageError('invalid_argument', { 'zh-CN': 'allow_registration 必须是布尔值', en: 'allow_registration must be a boolean' }, { field: 'allow_registration' });
      }
      const saved = (await c.engine.settings.getTenant<SageSystemSettings>(principal.tenant, SYSTEM_SETTINGS)) ?? {};
      await c.engine.settings.putTenant(principal, SYSTEM_SETTINGS, { ...saved, allow_registration: value });
      return {};
    }),
    health: async () => ({ status: 'healthy', timestamp: new Date().toISOString(), service: 'sage' }),
  };
}
