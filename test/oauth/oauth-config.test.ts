/**
 * The `oauth` config section and the bootstrap clients: defaults, strict
 * keys, and boot refusing what cannot work, with the config path named.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { defaultIssuer } from '../../src/oauth/mount.js';
import { startTestGateway } from '../support/gateway.js';

const minimal = (oauth?: unknown) => ({
  models: [{ name: 'demo', kind: 'demo' }],
  default_model: 'demo',
  bootstrap: { tenants: [{ code: 't1', name: 'Tenant one' }] },
  ...(oauth === undefined ? {} : { oauth }),
});

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw, {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the oauth section', () => {
  it('defaults to no issuer (derived at boot), generated keys and no dynamic registration', () => {
    expect(parseConfig(minimal(), {}).oauth).toEqual({ dynamic_registration: false, access_token_ttl_seconds: 3600, refresh_token_ttl_seconds: 14 * 24 * 3600 });
  });

  it('refuses unknown keys and an issuer with a query or fragment', () => {
    expect(problemsOf(minimal({ isuer: 'https://id.example' })).join('\n')).toMatch(/oauth.*isuer/);
    expect(problemsOf(minimal({ issuer: 'https://id.example/?x=1' })).join('\n')).toMatch(/oauth\.issuer|\/oauth\/issuer/);
    expect(problemsOf(minimal({ issuer: 'ftp://id.example' }))).not.toEqual([]);
    expect(problemsOf(minimal({ signing_keys: { keys: [] } }))).not.toEqual([]);
  });

  it('derives the default issuer from the listen address, naming localhost for a wildcard one', () => {
    expect(defaultIssuer('127.0.0.1', 8000)).toBe('http://127.0.0.1:8000');
    expect(defaultIssuer('0.0.0.0', 8000)).toBe('http://localhost:8000');
    expect(defaultIssuer('::', 8000)).toBe('http://localhost:8000');
    expect(defaultIssuer('::1', 9000)).toBe('http://[::1]:9000');
  });
});

describe('boot', () => {
  const bootWith = (change: (raw: Record<string, any>) => void) => startTestGateway({ configure: change }); // eslint-disable-line @typescript-eslint/no-explicit-any

  it('refuses a client with a grant this server does not offer', async () => {
    await expect(bootWith((raw) => (raw.bootstrap.oauth_clients = [{ client_id: 'c', client_secret: 's', grant_types: ['password'] }]))).rejects.toThrow(
      'bootstrap.oauth_clients[0].grant_types[0]: unknown grant "password"',
    );
  });

  it('refuses client_credentials for a public client', async () => {
    await expect(bootWith((raw) => (raw.bootstrap.oauth_clients = [{ client_id: 'c', grant_types: ['client_credentials'] }]))).rejects.toThrow(
      'bootstrap.oauth_clients[0].grant_types: client_credentials needs a client_secret',
    );
  });

  it('refuses a code-flow client without a redirect URI, and an unknown login tenant', async () => {
    await expect(bootWith((raw) => (raw.bootstrap.oauth_clients = [{ client_id: 'c' }]))).rejects.toThrow('bootstrap.oauth_clients[0].redirect_uris');
    await expect(bootWith((raw) => (raw.oauth = { tenant: 'nope' }))).rejects.toThrow('oauth.tenant: unknown tenant "nope"');
  });
});
