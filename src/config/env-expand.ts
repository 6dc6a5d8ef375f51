import { parse as parseYamlScalar } from 'yaml';

/**
 * Expands `${VAR}` and `${VAR:-default}` in every string of a parsed YAML
 * document. A string that is exactly one expression takes the type its value
 * spells (`port: ${PORT:-8000}` is the number 8000), so numbers and booleans
 * can come from the environment. An unset variable without a default is an
 * error naming the path, never a silent empty string.
 */
const EXPR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

export function expandEnv(node: unknown, env: NodeJS.ProcessEnv, path = '', errors: string[] = []): unknown {
  if (typeof node === 'string') return expandString(node, env, path, errors);
  if (Array.isArray(node)) return node.map((item, i) => expandEnv(item, env, `${path}[${i}]`, errors));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] = expandEnv(value, env, path ? `${path}.${key}` : key, errors);
    }
    return out;
  }
  return node;
}

function expandString(text: string, env: NodeJS.ProcessEnv, path: string, errors: string[]): unknown {
  const lookup = (name: string, fallback: string | undefined): string => {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    errors.push(`${path || '(root)'}: environment variable ${name} is not set`);
    return '';
  };
  const whole = WHOLE.exec(text);
  if (whole) {
    const value = lookup(whole[1]!, whole[2]);
    const typed: unknown = value === '' ? '' : parseYamlScalar(value);
    return typeof typed === 'number' || typeof typed === 'boolean' ? typed : value;
  }
  return text.replace(EXPR, (_match, name: string, fallback: string | undefined) => lookup(name, fallback));
}
