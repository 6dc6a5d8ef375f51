import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { expandEnv } from './env-expand.js';
import { configSchema } from './schema.js';
import { crossCheck } from './cross-check.js';
import type { Config } from './types.js';

export const DEFAULT_CONFIG_PATH = 'config/switchboard.yaml';

/** A configuration that cannot be used; `problems` each start with the exact path. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration ${file}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** `--config FILE`, else `SWITCHBOARD_CONFIG`, else the shipped default. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? (env.SWITCHBOARD_CONFIG || DEFAULT_CONFIG_PATH);
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseConfig(raw ?? {}, env, file);
}

/** Validates a parsed document: env expansion, schema with defaults, cross references, env overrides. */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv, file = '(inline)'): Config {
  const problems: string[] = [];
  const expanded = expandEnv(raw, env, '', problems);
  if (problems.length) throw new ConfigError(file, problems);

  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const validate = ajv.compile(configSchema);
  if (!validate(expanded)) throw new ConfigError(file, (validate.errors ?? []).map(describeError));

  const config = expanded as unknown as Config;
  if (env.PORT) {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(file, [`PORT: not a port number: ${env.PORT}`]);
    config.server.port = port;
  }
  if (env.REDIS_URL) config.store.url = env.REDIS_URL;

  const crossProblems = crossCheck(config);
  if (crossProblems.length) throw new ConfigError(file, crossProblems);
  return deepFreeze(config);
}

/** `/bootstrap/users/1/tenant` → `bootstrap.users[1].tenant`. */
export function toDottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function describeError(error: ErrorObject): string {
  const at = toDottedPath(error.instancePath);
  const join = (key: string) => (at ? `${at}.${key}` : key);
  switch (error.keyword) {
    case 'additionalProperties':
      return `${join(String(error.params.additionalProperty))}: unknown key`;
    case 'required':
      return `${join(String(error.params.missingProperty))}: required`;
    case 'enum':
      return `${at}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${at || '(root)'}: ${error.message ?? 'invalid'}`;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
