import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, DEFAULT_CONFIG_PATH, loadConfigFile, parseConfig, resolveConfigPath } from '../../src/config/load.js';
import { maskSecrets } from '../../src/config/mask.js';

const minimal = () => ({
  models: [{ name: 'demo', kind: 'demo' }],
  default_model: 'demo',
  bootstrap: {
    tenants: [{ code: 't1', name: 'Tenant one' }],
    users: [{ id: 'u1', tenant: 't1', username: 'one' }],
  },
});

function problemsOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config loading', () => {
  it('loads the shipped default with all four dialects, the embedded sqlite store and the demo setup', () => {
    const config = loadConfigFile(DEFAULT_CONFIG_PATH, {});
    expect(config.store.kind).toBe('sqlite');
    expect(config.server.port).toBe(8000);
    expect(Object.entries(config.dialects).map(([name, d]) => [name, d.enabled, d.prefix])).toEqual([
      ['sage', true, ''],
      ['bitagent', true, '/api'],
      ['agents-v1', true, ''],
      ['openbee', true, '/openbee'],
    ]);
    expect(config.default_model).toBe('demo');
    expect(config.bootstrap.agents.map((a) => a.id)).toEqual(['demo-agent']);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('fills defaults for everything left out', () => {
    const config = parseConfig(minimal(), {});
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8000, body_limit: '1mb' });
    expect(config.store).toEqual({ kind: 'sqlite', url: 'redis://127.0.0.1:6379', data_dir: './data', command_timeout_ms: 3000 });
    expect(config.dialects['agents-v1']).toEqual({ enabled: true, prefix: '' });
    expect(config.bootstrap.users[0]).toMatchObject({ admin: false, tokens: [] });
    expect(config.models[0]).toMatchObject({ stream_usage: true, max_retries: 3 });
  });

  it('names the exact path of an unknown tenant', () => {
    const raw = minimal();
    raw.bootstrap.users.push({ id: 'u2', tenant: 'x', username: 'two' });
    expect(problemsOf(raw)).toEqual(['bootstrap.users[1].tenant: unknown tenant "x"']);
  });

  it('refuses unknown keys and wrong types with their paths', () => {
    const raw = { ...minimal(), server: { port: 'eighty', colour: 'blue' }, storage: {} };
    const problems = problemsOf(raw);
    expect(problems).toContain('storage: unknown key');
    expect(problems).toContain('server.colour: unknown key');
    expect(problems).toContain('server.port: must be integer');
  });

  it('checks model references and dialect ports', () => {
    const raw = {
      ...minimal(),
      default_model: 'gpt',
      models: [{ name: 'demo', kind: 'demo' }, { name: 'remote', kind: 'openai' }],
      dialects: { openbee: { port: 8000 } },
    };
    expect(problemsOf(raw)).toEqual([
      'models[1].base_url: required for kind openai',
      'default_model: unknown model "gpt"',
      'dialects.openbee.port: port 8000 is already used by server.port',
    ]);
  });

  it('expands ${VAR} and ${VAR:-default}, typing a whole-value expression', () => {
    const raw = {
      ...minimal(),
      server: { port: '${APP_PORT:-9000}', host: '${BIND}' },
      store: { data_dir: '/var/${NAME:-sb}/data' },
    };
    const config = parseConfig(raw, { BIND: '127.0.0.1' });
    expect(config.server.port).toBe(9000);
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.store.data_dir).toBe('/var/sb/data');
    expect(parseConfig(raw, { BIND: 'h', APP_PORT: '7000' }).server.port).toBe(7000);
  });

  it('refuses an unset variable without a default, naming where it is used', () => {
    const raw = { ...minimal(), models: [{ name: 'demo', kind: 'demo', api_key: '${MISSING_KEY}' }] };
    expect(problemsOf(raw)).toEqual(['models[0].api_key: environment variable MISSING_KEY is not set']);
  });

  it('lets PORT and REDIS_URL override the file', () => {
    const config = parseConfig(minimal(), { PORT: '8123', REDIS_URL: 'redis://10.0.0.1:7000' });
    expect(config.server.port).toBe(8123);
    expect(config.store.url).toBe('redis://10.0.0.1:7000');
    expect(problemsOf(minimal(), { PORT: 'abc' })).toEqual(['PORT: not a port number: abc']);
  });

  it('picks --config, then SWITCHBOARD_CONFIG, then the default path', () => {
    expect(resolveConfigPath('a.yaml', { SWITCHBOARD_CONFIG: 'b.yaml' })).toBe('a.yaml');
    expect(resolveConfigPath(undefined, { SWITCHBOARD_CONFIG: 'b.yaml' })).toBe('b.yaml');
    expect(resolveConfigPath(undefined, {})).toBe(DEFAULT_CONFIG_PATH);
  });

  it('reports unreadable and malformed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server: [unclosed');
    expect(() => loadConfigFile(bad, {})).toThrow(/not valid YAML/);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'), {})).toThrow(/cannot read file/);
  });

  it('refuses an agent schema that is not JSON Schema', () => {
    const raw = minimal() as ReturnType<typeof minimal> & { bootstrap: { agents?: unknown[] } };
    raw.bootstrap.agents = [{ id: 'a', tenant: 't1', name: 'A', inputs: { type: 'no-such-type' } }];
    expect(problemsOf(raw)[0]).toMatch(/^bootstrap\.agents\[0\]\.inputs: not a valid JSON Schema/);
  });

  it('masks every secret when printing', () => {
    const config = loadConfigFile(DEFAULT_CONFIG_PATH, {});
    const printed = JSON.stringify(maskSecrets(config));
    for (const secret of ['demo-api-key', 'alice-password', 'demo-token-alice', 'demo-client-secret']) {
      expect(printed).not.toContain(secret);
    }
    expect(parse(JSON.stringify(maskSecrets(config))).bootstrap.tenants[0].api_keys).toEqual(['***']);
  });
});
