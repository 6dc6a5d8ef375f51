/**
 * The keys the authorization server signs with: configured ones used and
 * published (private parts never), else one generated once and kept in the
 * store, so instances on one Redis, and a restart on the same data, publish
 * the same key and accept each other's tokens.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../support/gateway.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { BrowserSession } from './browser-session.js';
import { ALICE, codeFlow, discover, WEB, withOAuthClients } from './oauth-clients.js';

const redis = redisPerFile('oauth-keys');
const running: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.stop()));
});

async function start(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const configure = options.configure;
  const gw = await startTestGateway({
    ...options,
    configure: (raw) => {
      withOAuthClients(raw);
      configure?.(raw);
    },
  });
  running.push(gw);
  return gw;
}

const jwksOf = async (gw: TestGateway) => ((await (await fetch(`${gw.baseUrl}/oauth2/jwks`)).json()) as { keys: Record<string, unknown>[] }).keys;

/** The `kid` in the header of the ID token alice gets from `gw`. */
async function idTokenKid(gw: TestGateway): Promise<string> {
  const web = await discover(gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
  const { tokens } = await codeFlow(web, WEB.redirect, new BrowserSession(gw.baseUrl), ALICE, 'openid');
  const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { kid: string };
  return header.kid;
}

describe('generated keys', () => {
  it('are the same on two instances sharing a Redis, which accept each other’s tokens', async () => {
    const a = await start({ store: 'redis', redisUrl: redis.server().url });
    const b = await start({ store: 'redis', redisUrl: redis.server().url });
    const keys = await jwksOf(a);
    expect(keys).toHaveLength(1);
    expect(await jwksOf(b)).toEqual(keys);

    const onA = await discover(a.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const onB = await discover(b.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const { access_token } = await oidc.clientCredentialsGrant(onA);
    expect(await oidc.tokenIntrospection(onB, access_token)).toMatchObject({ active: true, client_id: WEB.id });
    expect(await idTokenKid(b)).toBe(keys[0]!.kid);
  });

  it('survive a restart on the same data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-oauth-keys-'));
    const first = await start({ dataDir });
    const keys = await jwksOf(first);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const second = await start({ dataDir });
    expect(await jwksOf(second)).toEqual(keys);
  });
});

describe('configured keys', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ecJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'ec-2026', use: 'sig', alg: 'ES256' };
  const rsaJwk = { ...rsa.export({ format: 'jwk' }), kid: 'rsa-2026', use: 'sig', alg: 'RS256' };

  it('are published without their private parts and sign the ID tokens', async () => {
    const gw = await start({ configure: (raw) => (raw.oauth = { signing_keys: { keys: [rsaJwk, ecJwk] } }) });
    const keys = await jwksOf(gw);
    expect(keys.map((k) => k.kid)).toEqual(['rsa-2026', 'ec-2026']);
    for (const key of keys) expect(Object.keys(key)).not.toContain('d');
    expect(await idTokenKid(gw)).toBe('rsa-2026');
  });

  it('refuse a public key at boot, naming the config path', async () => {
    const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'pub' };
    await expect(start({ configure: (raw) => (raw.oauth = { signing_keys: { keys: [publicJwk] } }) })).rejects.toThrow(
      'oauth.signing_keys.keys[0]: not a private key',
    );
  });
});
