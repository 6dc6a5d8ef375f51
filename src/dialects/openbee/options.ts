/** The options of `dialects.openbee` beyond every dialect's own (JSON Schema, part of the one config schema). */
export const openBeeOptionsSchema = {
  // OpenBee logins name no tenant: they are looked up in this one (the first bootstrap tenant when unset).
  tenant: { type: 'string', minLength: 1 },
  // The worker of a local session created without one.
  default_agent: { type: 'string', minLength: 1 },
  access_token_ttl_seconds: { type: 'integer', minimum: 60, default: 2 * 3600 },
  refresh_token_ttl_seconds: { type: 'integer', minimum: 60, default: 7 * 24 * 3600 },
  // Every login attempt counts (right or wrong), per client address.
  login_attempts_per_minute: { type: 'integer', minimum: 1, default: 5 },
};
