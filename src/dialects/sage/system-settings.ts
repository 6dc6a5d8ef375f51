import type { SageContext } from './context.js';
import { sageTenant } from './auth-tokens.js';

/** The run-time system settings of `POST /api/system/update_settings`, kept by the engine per tenant. */
export interface SageSystemSettings {
  allow_registration?: boolean;
}

export const SYSTEM_SETTINGS = 'sage-system';

/** Registration is open when the mode is native and neither the config nor an admin closed it. */
export async function registrationOpen(c: SageContext): Promise<boolean> {
  if (c.options.auth_mode !== 'native') return false;
  const saved = await c.engine.settings.getTenant<SageSystemSettings>(sageTenant(c), SYSTEM_SETTINGS);
  return saved?.allow_registration ?? c.options.allow_registration;
}
