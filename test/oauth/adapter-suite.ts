import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scopedKey } from '../../src/engine/keys.js';
import { OIDC_COLLECTIONS, recordKey, storeAdapter, type AdapterPayload, type OidcAdapter } from '../../src/oauth/store-adapter.js';
import type { Store } from '../../src/store/store.js';
import type { OpenData, TestData } from './adapter-stores.js';

/** Every model oidc-provider asks an adapter for. */
export const MODELS = [
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'DeviceCode',
  'Interaction',
  'ReplayDetection',
  'PushedAuthorizationRequest',
  'Grant',
  'BackchannelAuthenticationRequest',
] as const;
export type Model = (typeof MODELS)[number];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const epochSeconds = (): number => Math.floor(Date.now() / 1000);

/** The adapters oidc-provider would make on `store`, one per model. */
export function adaptersOn(store: Store): Record<Model, OidcAdapter> {
  const Adapter = storeAdapter(store);
  return Object.fromEntries(MODELS.map((model) => [model, new Adapter(model)])) as Record<Model, OidcAdapter>;
}

/** A payload shaped like the ones oidc-provider saves for `model`. */
export function payloadOf(model: Model, jti: string, extra: Partial<AdapterPayload> = {}): AdapterPayload {
  const iat = epochSeconds();
  return { iat, exp: iat + 3600, jti, kind: model, clientId: 'client-1', accountId: 'ada', scope: 'openid', ...extra };
}

/** The adapter suite, on the stores `openData` gives: each test on fresh data. */
export function adapterSuite(name: string, openData: OpenData): void {
  describe(`oidc-provider adapter on the ${name} store`, () => {
    let data: TestData;
    let a: Record<Model, OidcAdapter>;
    beforeEach(async () => {
      data = await openData();
      a = adaptersOn(await data.first());
    });
    afterEach(async () => {
      await data.dispose();
    });

    it('gives back what each model upserted, kept apart by model and id', async () => {
      for (const model of MODELS) await a[model].upsert('same-id', payloadOf(model, 'same-id'), 3600);
      for (const model of MODELS) expect(await a[model].find('same-id')).toEqual(payloadOf(model, 'same-id', { iat: expect.any(Number), exp: expect.any(Number) }));
      // Ids as clients and oidc-provider may spell them: no two collide, none breaks a key.
      const odd = ['a/b', 'a', 'b', '{tag}', 'ü😀', 'a%2Fb', ' '];
      for (const id of odd) await a.AccessToken.upsert(id, payloadOf('AccessToken', id), 3600);
      for (const id of odd) expect((await a.AccessToken.find(id))?.jti).toBe(id);
      expect(await a.AccessToken.find('missing')).toBeUndefined();
      expect(await a.RefreshToken.find('a/b')).toBeUndefined();
    });

    it('keeps no token value in the clear: record keys are hashed and a payload does not repeat its id', async () => {
      const store = await data.first();
      const token = 'bearer-secret-0123456789';
      await a.RefreshToken.upsert(token, payloadOf('RefreshToken', token, { grantId: 'g1' }), 600);
      await a.RefreshToken.consume(token);
      expect(await a.RefreshToken.find(token)).toEqual({ ...payloadOf('RefreshToken', token, { grantId: 'g1' }), iat: expect.any(Number), exp: expect.any(Number), consumed: expect.any(Number) });
      const stored = await store.get(OIDC_COLLECTIONS.record, recordKey('RefreshToken', token));
      expect(stored?.value).toMatchObject({ payload: { kind: 'RefreshToken', grantId: 'g1' } });
      expect(JSON.stringify(stored)).not.toContain(token);
      expect(recordKey('RefreshToken', token)).not.toContain(token);
      expect(JSON.stringify(await store.get(OIDC_COLLECTIONS.grant, scopedKey('g1')))).not.toContain(token);
    });

    it('replaces a record on a second upsert, and keeps one without expiry until destroyed', async () => {
      const client = { client_id: 'dyn-1', client_secret: 'hashed-elsewhere', redirect_uris: ['https://app.example/cb'] };
      await a.Client.upsert('dyn-1', client);
      expect(await a.Client.find('dyn-1')).toEqual(client);
      await a.Client.upsert('dyn-1', { ...client, redirect_uris: [] });
      expect(await a.Client.find('dyn-1')).toEqual({ ...client, redirect_uris: [] });
      await a.Client.destroy('dyn-1');
      expect(await a.Client.find('dyn-1')).toBeUndefined();
    });

    it('reads records as absent once expired, index lookups included, and the store drops them', { timeout: 15_000 }, async () => {
      const store = await data.first();
      await a.Session.upsert('s1', payloadOf('Session', 's1', { uid: 'uid-1' }), 1);
      await a.DeviceCode.upsert('d1', payloadOf('DeviceCode', 'd1', { userCode: 'WXYZ-1234', grantId: 'g-short' }), 1);
      await a.AccessToken.upsert('at1', payloadOf('AccessToken', 'at1', { grantId: 'g-short' }), 1);
      await a.AuthorizationCode.upsert('code1', payloadOf('AuthorizationCode', 'code1'), 1);
      await a.ReplayDetection.upsert('jti-1', { iat: epochSeconds() }, 1);
      await a.AccessToken.upsert('at-long', payloadOf('AccessToken', 'at-long', { grantId: 'g-long' }), 60);
      await a.AuthorizationCode.consume('code1');
      // Kept a second longer, as for a provider with a clockTolerance of 1.
      const tolerant = new (storeAdapter(store, { clockTolerance: 1 }))('AccessToken');
      await tolerant.upsert('at-tolerated', payloadOf('AccessToken', 'at-tolerated'), 1);
      expect((await a.Session.findByUid('uid-1'))?.jti).toBe('s1');
      expect((await a.DeviceCode.findByUserCode('WXYZ-1234'))?.jti).toBe('d1');
      expect((await a.AuthorizationCode.find('code1'))?.consumed).toEqual(expect.any(Number));

      await sleep(1_300);
      expect(await a.Session.find('s1')).toBeUndefined();
      expect(await a.Session.findByUid('uid-1')).toBeUndefined();
      expect(await a.DeviceCode.find('d1')).toBeUndefined();
      expect(await a.DeviceCode.findByUserCode('WXYZ-1234')).toBeUndefined();
      expect(await a.AccessToken.find('at1')).toBeUndefined();
      // Consuming kept the expiry.
      expect(await a.AuthorizationCode.find('code1')).toBeUndefined();
      expect(await a.ReplayDetection.find('jti-1')).toBeUndefined();
      expect((await a.AccessToken.find('at-long'))?.jti).toBe('at-long');
      // Gone from the store itself, with the index entries that named them.
      const C = OIDC_COLLECTIONS;
      expect(await store.get(C.record, recordKey('Session', 's1'))).toBeUndefined();
      expect(await store.get(C.record, recordKey('AuthorizationCode', 'code1'))).toBeUndefined();
      expect(await store.get(C.uid, scopedKey('Session', 'uid-1'))).toBeUndefined();
      expect(await store.get(C.userCode, scopedKey('DeviceCode', 'WXYZ-1234'))).toBeUndefined();
      expect(await store.get(C.grant, scopedKey('g-short'))).toBeUndefined();
      expect(await store.get(C.grant, scopedKey('g-long'))).toBeDefined();

      expect((await tolerant.find('at-tolerated'))?.jti).toBe('at-tolerated');
      await sleep(1_000);
      expect(await tolerant.find('at-tolerated')).toBeUndefined();
    });

    it('treats a non-positive expiresIn as already expired', async () => {
      await a.AccessToken.upsert('at0', payloadOf('AccessToken', 'at0'), 3600);
      await a.AccessToken.upsert('at0', payloadOf('AccessToken', 'at0'), 0);
      expect(await a.AccessToken.find('at0')).toBeUndefined();
    });

    it('consumes: marks the time in seconds, keeps the payload, leaves an absent record absent', async () => {
      const payload = payloadOf('AuthorizationCode', 'code', { grantId: 'g1', codeChallenge: 'abc' });
      await a.AuthorizationCode.upsert('code', payload, 600);
      const before = epochSeconds();
      await a.AuthorizationCode.consume('code');
      const found = await a.AuthorizationCode.find('code');
      expect(found).toEqual({ ...payload, consumed: expect.any(Number) });
      expect(found!.consumed).toBeGreaterThanOrEqual(before);
      expect(found!.consumed).toBeLessThanOrEqual(epochSeconds());
      // Still a member of its grant.
      await a.AuthorizationCode.revokeByGrantId('g1');
      expect(await a.AuthorizationCode.find('code')).toBeUndefined();

      await a.RefreshToken.consume('never-written');
      expect(await a.RefreshToken.find('never-written')).toBeUndefined();
    });

    it('destroys a record with its index entries; destroying an absent one is fine', async () => {
      await a.Session.upsert('s1', payloadOf('Session', 's1', { uid: 'uid-1' }), 600);
      await a.DeviceCode.upsert('d1', payloadOf('DeviceCode', 'd1', { userCode: 'CODE-1' }), 600);
      await a.Session.destroy('s1');
      await a.DeviceCode.destroy('d1');
      expect(await a.Session.find('s1')).toBeUndefined();
      expect(await a.Session.findByUid('uid-1')).toBeUndefined();
      expect(await a.DeviceCode.findByUserCode('CODE-1')).toBeUndefined();
      await a.Session.destroy('s1');
      await a.Grant.destroy('never-written');
    });

    it('finds a session by uid and a device code by user code, following changes', async () => {
      expect(await a.Session.findByUid('nobody')).toBeUndefined();
      expect(await a.DeviceCode.findByUserCode('NOPE')).toBeUndefined();
      // A session whose id rotates keeps its uid; oidc-provider destroys the old id first.
      await a.Session.upsert('old', payloadOf('Session', 'old', { uid: 'uid-1', accountId: 'ada' }), 600);
      await a.Session.destroy('old');
      await a.Session.upsert('new', payloadOf('Session', 'new', { uid: 'uid-1', accountId: 'ada' }), 600);
      expect((await a.Session.findByUid('uid-1'))?.jti).toBe('new');
      // The other order leaves the lookup on the newer record too.
      await a.Session.upsert('newer', payloadOf('Session', 'newer', { uid: 'uid-1' }), 600);
      await a.Session.destroy('new');
      expect((await a.Session.findByUid('uid-1'))?.jti).toBe('newer');

      await a.DeviceCode.upsert('d1', payloadOf('DeviceCode', 'd1', { userCode: 'FIRST' }), 600);
      await a.DeviceCode.upsert('d1', payloadOf('DeviceCode', 'd1', { userCode: 'SECOND' }), 600);
      expect(await a.DeviceCode.findByUserCode('FIRST')).toBeUndefined();
      expect((await a.DeviceCode.findByUserCode('SECOND'))?.jti).toBe('d1');
      // Lookups are per model: a session's uid is no device code's.
      expect(await a.DeviceCode.findByUid('uid-1')).toBeUndefined();
    });

    it('revokes every record of a grant across models and nothing of another grant', async () => {
      const g1: Array<[Model, string]> = [
        ['AccessToken', 'at1'],
        ['RefreshToken', 'rt1'],
        ['AuthorizationCode', 'code1'],
        ['DeviceCode', 'dc1'],
        ['BackchannelAuthenticationRequest', 'ciba1'],
      ];
      for (const [model, id] of g1) await a[model].upsert(id, payloadOf(model, id, { grantId: 'g1', userCode: model === 'DeviceCode' ? 'G1-CODE' : undefined }), 600);
      await a.AccessToken.upsert('at2', payloadOf('AccessToken', 'at2', { grantId: 'g2' }), 600);
      await a.RefreshToken.upsert('rt2', payloadOf('RefreshToken', 'rt2', { grantId: 'g2' }), 600);
      await a.Grant.upsert('g1', payloadOf('Grant', 'g1'), 600);
      await a.Session.upsert('s1', payloadOf('Session', 's1', { uid: 'uid-1', authorizations: { 'client-1': { grantId: 'g1' } } }), 600);
      // A token moved to another grant is that grant's only.
      await a.AccessToken.upsert('moved', payloadOf('AccessToken', 'moved', { grantId: 'g1' }), 600);
      await a.AccessToken.upsert('moved', payloadOf('AccessToken', 'moved', { grantId: 'g2' }), 600);

      await a.RefreshToken.revokeByGrantId('g1');
      for (const [model, id] of g1) expect(await a[model].find(id)).toBeUndefined();
      expect(await a.DeviceCode.findByUserCode('G1-CODE')).toBeUndefined();
      for (const id of ['at2', 'moved']) expect((await a.AccessToken.find(id))?.grantId).toBe('g2');
      expect((await a.RefreshToken.find('rt2'))?.grantId).toBe('g2');
      // The grant itself and the session are oidc-provider's to destroy.
      expect(await a.Grant.find('g1')).toBeDefined();
      expect((await a.Session.findByUid('uid-1'))?.jti).toBe('s1');

      // As oidc-provider calls it: on several models at once, for a grant now empty, and for one never seen.
      await Promise.all([a.AccessToken, a.RefreshToken, a.AuthorizationCode].map((m) => m.revokeByGrantId('g1')));
      await a.AccessToken.revokeByGrantId('never-seen');
      // A token written to the grant afterwards is revocable again.
      await a.AccessToken.upsert('late', payloadOf('AccessToken', 'late', { grantId: 'g1' }), 600);
      await a.AccessToken.revokeByGrantId('g1');
      expect(await a.AccessToken.find('late')).toBeUndefined();
      await a.AccessToken.revokeByGrantId('g2');
      expect(await a.AccessToken.find('moved')).toBeUndefined();
      expect(await a.RefreshToken.find('rt2')).toBeUndefined();
    });

    it('loses no grant member to concurrent upserts', async () => {
      const ids = Array.from({ length: 30 }, (_, n) => `at${n}`);
      await Promise.all(ids.map((id) => a.AccessToken.upsert(id, payloadOf('AccessToken', id, { grantId: 'busy' }), 600)));
      await a.AccessToken.revokeByGrantId('busy');
      for (const id of ids) expect(await a.AccessToken.find(id)).toBeUndefined();
    });

    it('is read by another store on the same data: lookups, consume, revoke', async () => {
      await a.Session.upsert('s1', payloadOf('Session', 's1', { uid: 'uid-1' }), 600);
      await a.DeviceCode.upsert('dc1', payloadOf('DeviceCode', 'dc1', { userCode: 'SHARED', grantId: 'g1' }), 600);
      await a.RefreshToken.upsert('rt1', payloadOf('RefreshToken', 'rt1', { grantId: 'g1' }), 600);
      await a.AccessToken.upsert('at1', payloadOf('AccessToken', 'at1', { grantId: 'g1' }), 600);

      const b = adaptersOn(await data.another());
      expect((await b.Session.findByUid('uid-1'))?.jti).toBe('s1');
      expect((await b.DeviceCode.findByUserCode('SHARED'))?.jti).toBe('dc1');
      await b.RefreshToken.consume('rt1');
      await b.AccessToken.upsert('at2', payloadOf('AccessToken', 'at2', { grantId: 'g1' }), 600);

      const c = adaptersOn(await data.another());
      expect((await c.RefreshToken.find('rt1'))?.consumed).toEqual(expect.any(Number));
      await c.DeviceCode.revokeByGrantId('g1');
      for (const id of ['at1', 'at2']) expect(await c.AccessToken.find(id)).toBeUndefined();
      expect(await c.RefreshToken.find('rt1')).toBeUndefined();
      expect(await c.DeviceCode.findByUserCode('SHARED')).toBeUndefined();
      expect((await c.Session.find('s1'))?.uid).toBe('uid-1');
    });
  });
}
