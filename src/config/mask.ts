import type { Config } from './types.js';

const SECRET_KEYS = new Set(['api_key', 'api_keys', 'password', 'tokens', 'client_secret']);

/** A copy of the config with every secret replaced by `***`, for printing. */
export function maskSecrets(config: Config): unknown {
  const mask = (value: unknown, key?: string): unknown => {
    if (key && SECRET_KEYS.has(key)) return Array.isArray(value) ? value.map(() => '***') : '***';
    if (Array.isArray(value)) return value.map((item) => mask(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
    }
    if (typeof value === 'string' && key === 'url') return value.replace(/\/\/([^@/]*)@/, '//***@');
    return value;
  };
  return mask(config);
}
