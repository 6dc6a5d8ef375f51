import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/engine/errors.js';
import { LoginThrottle } from '../../src/engine/login-throttle.js';
import type { Principal } from '../../src/engine/records.js';
import { RefreshTokens } from '../../src/engine/refresh-tokens.js';
import { Sessions } from '../../src/engine/sessions.js';
import type { Store } from '../../src/store/store.js';

export const alice: Principal = { tenant: 'acme', userId: 'alice', username: 'alice', admin: false, via: 'password' };
const bob: Principal = { ...alice, userId: 'bob', username: 'bob' };
/** Same user id as alice in another tenant: never caught by alice's revocations. */
const otherAlice: Principal = { ...alice, tenant: 'globex', username: 'globex/alice' };
const MIN = 60_000;

/** Asserts that `promise` rejects with an EngineError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<EngineError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(EngineError);
  expect((error as EngineError).code).toBe(code);
  return error as EngineError;
}

/**
 * Sessions, refresh tokens and login throttling on a real store, run once per
 * store kind. Times are passed as `now` rather than waited for.
 */
export function identitySuite(name: string, open: () => Promise<Store>): void {
  describe(`login identity on the ${name} store`, () => {
    let store: Store;
    let t0: number;
    beforeEach(async () => {
      store = await open();
      t0 = Date.now();
    });
    afterEach(() => store.close());

    describe('sessions', () => {
      it('verifies a live cookie, stores only its hash, and rejects garbage without throwing', async () => {
        const sessions = new Sessions(store);
        const { id, cookie, expiresAt } = await sessions.create(alice, { meta: { agent: 'test' } }, t0);
        expect(expiresAt).toBe(t0 + 7 * 24 * 60 * MIN);
        expect(await sessions.verify(cookie, t0 + MIN)).toEqual(alice);
        const secret = cookie.split('.')[1]!;
        const stored = JSON.stringify(await store.get('session', id));
        expect(stored).toContain(id);
        expect(stored).not.toContain(secret);
        const forged = `${id}.${'A'.repeat(43)}`;
        for (const bad of [undefined, 42, '', 'x'.repeat(100_000), id, `${id}.`, forged, `${cookie}x`]) {
          expect(await sessions.verify(bad, t0 + MIN)).toBeUndefined();
        }
        expect(await sessions.verify(cookie, t0 + MIN)).toEqual(alice);
      });

      it('ends after 30 idle minutes, and each use moves that end', async () => {
        const sessions = new Sessions(store);
        const idle = await sessions.create(alice, {}, t0);
        const busy = await sessions.create(alice, {}, t0);
        expect(await sessions.verify(busy.cookie, t0 + 29 * MIN)).toEqual(alice);
        expect(await sessions.verify(busy.cookie, t0 + 58 * MIN)).toEqual(alice);
        expect(await sessions.verify(idle.cookie, t0 + 31 * MIN)).toBeUndefined();
        expect(await sessions.verify(busy.cookie, t0 + 89 * MIN)).toBeUndefined();
      });

      it('ends at the absolute expiry however busy it is', async () => {
        const sessions = new Sessions(store, { idleSeconds: 3600, absoluteSeconds: 3 * 3600 });
        const { cookie, idleExpiresAt, expiresAt } = await sessions.create(alice, {}, t0);
        expect([idleExpiresAt, expiresAt]).toEqual([t0 + 60 * MIN, t0 + 180 * MIN]);
        for (let t = 50; t < 180; t += 50) expect(await sessions.verify(cookie, t0 + t * MIN)).toEqual(alice);
        expect(await sessions.verify(cookie, t0 + 180 * MIN)).toBeUndefined();
      });

      it('revokes one session, or all of one user and nobody else', async () => {
        const sessions = new Sessions(store);
        const [a1, a2, b, other] = await Promise.all([alice, alice, bob, otherAlice].map((p) => sessions.create(p, {}, t0)));
        expect(await sessions.revoke(a1!.id)).toBe(true);
        expect(await sessions.revoke(a1!.id)).toBe(false);
        expect(await sessions.verify(a1!.cookie, t0)).toBeUndefined();
        expect(await sessions.verify(a2!.cookie, t0)).toEqual(alice);
        const a3 = await sessions.create(alice, {}, t0);
        expect(await sessions.revokeAllOf('acme', 'alice')).toBe(2);
        for (const s of [a2!, a3]) expect(await sessions.verify(s.cookie, t0)).toBeUndefined();
        expect(await sessions.verify(b!.cookie, t0)).toEqual(bob);
        expect(await sessions.verify(other!.cookie, t0)).toEqual(otherAlice);
      });
    });

    describe('refresh tokens', () => {
      it('rotates: each use answers a new token and the chain goes on', async () => {
        const tokens = new RefreshTokens(store);
        const first = await tokens.issue(alice, {}, t0);
        const second = await tokens.rotate(first, t0 + MIN);
        expect(second).toMatchObject({ principal: alice, expiresAt: t0 + MIN + 30 * 24 * 60 * MIN });
        expect(second.token).not.toBe(first);
        const third = await tokens.rotate(second.token, t0 + 2 * MIN);
        expect(third.family).toBe(second.family);
        await rejectsWith(tokens.rotate(third.token, third.expiresAt), 'unauthenticated');
        for (const bad of [undefined, '', 'rt_x.y', `${third.token.split('.')[0]}.${'A'.repeat(43)}`]) {
          await rejectsWith(tokens.rotate(bad, t0), 'unauthenticated');
        }
      });

      it('reuse of a rotated token revokes its whole family, and only that family', async () => {
        const tokens = new RefreshTokens(store);
        const first = await tokens.issue(alice, {}, t0);
        const otherLogin = await tokens.issue(alice, {}, t0);
        const second = await tokens.rotate(first, t0);
        const third = await tokens.rotate(second.token, t0);
        const error = await rejectsWith(tokens.rotate(first, t0), 'unauthenticated');
        expect(error.message).toMatch(/already used/);
        await rejectsWith(tokens.rotate(third.token, t0), 'unauthenticated');
        expect((await tokens.rotate(otherLogin, t0)).principal).toEqual(alice);
      });

      it('lets exactly one of several concurrent rotations win, without revoking the family', async () => {
        const tokens = new RefreshTokens(store);
        const first = await tokens.issue(alice, {}, t0);
        const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => tokens.rotate(first, t0)));
        const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(won).toHaveLength(1);
        for (const r of results.filter((x) => x.status === 'rejected')) {
          expect(r.reason).toMatchObject({ code: 'unauthenticated', message: expect.stringMatching(/concurrently/) });
        }
        const next = await tokens.rotate(won[0]!.token, t0);
        // Presenting the retired token after the rotation was recorded is reuse.
        await rejectsWith(tokens.rotate(first, t0), 'unauthenticated');
        await rejectsWith(tokens.rotate(next.token, t0), 'unauthenticated');
      });

      it('without rotation answers the same token until it expires', async () => {
        const tokens = new RefreshTokens(store, { rotation: false, ttlSeconds: 3600 });
        const token = await tokens.issue(alice, {}, t0);
        for (const t of [0, 1, 59]) expect((await tokens.rotate(token, t0 + t * MIN)).token).toBe(token);
        await rejectsWith(tokens.rotate(token, t0 + 60 * MIN), 'unauthenticated');
      });

      it('revokes one login, a family, or every login of one user', async () => {
        const tokens = new RefreshTokens(store);
        const [a1, a2, a3, b, other] = await Promise.all(
          [alice, alice, alice, bob, otherAlice].map((p) => tokens.issue(p, {}, t0)),
        );
        expect(await tokens.revoke(a1)).toBe(true);
        expect(await tokens.revoke(a1)).toBe(false);
        expect(await tokens.revoke('garbage')).toBe(false);
        await rejectsWith(tokens.rotate(a1, t0), 'unauthenticated');
        const { family } = await tokens.rotate(a2!, t0);
        const sibling = await tokens.issue(alice, { family }, t0);
        await rejectsWith(tokens.issue(bob, { family }, t0), 'invalid_argument');
        await tokens.revokeFamily(family);
        await rejectsWith(tokens.rotate(sibling, t0), 'unauthenticated');
        expect((await tokens.rotate(a3!, t0)).principal).toEqual(alice);
        expect(await tokens.revokeAllOf('acme', 'alice')).toBe(1);
        await rejectsWith(tokens.rotate(a3!, t0), 'unauthenticated');
        expect((await tokens.rotate(b!, t0)).principal).toEqual(bob);
        expect((await tokens.rotate(other!, t0)).principal).toEqual(otherAlice);
      });
    });

    it('drops ended sessions and logins from the per-user listings', async () => {
      const sessions = new Sessions(store, { absoluteSeconds: 3600 });
      const tokens = new RefreshTokens(store, { ttlSeconds: 3600 });
      await sessions.create(alice, {}, t0);
      await tokens.issue(alice, {}, t0);
      await sessions.create(alice, {}, t0 + 61 * MIN);
      await tokens.issue(alice, {}, t0 + 61 * MIN);
      expect(await sessions.revokeAllOf('acme', 'alice')).toBe(1);
      expect(await tokens.revokeAllOf('acme', 'alice')).toBe(1);
    });

    describe('login throttle', () => {
      const limited = async (throttle: LoginThrottle, address: string, account: string, now: number) =>
        (await rejectsWith(throttle.check(address, account, now), 'rate_limited')).detail.retryAfterSeconds;

      it('locks an account after its budget of failures, from any address, until the window ends', async () => {
        const throttle = new LoginThrottle(store, { account: { failures: 3 } });
        for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
          await throttle.check(address, 'alice', t0);
          await throttle.fail(address, 'Alice ', t0);
        }
        expect(await limited(throttle, '10.0.0.9', 'alice', t0 + MIN)).toBe(14 * 60);
        await throttle.check('10.0.0.1', 'bob', t0 + MIN);
        expect(await limited(throttle, '10.0.0.9', 'ALICE', t0 + 15 * MIN - 1000)).toBe(1);
        await throttle.check('10.0.0.9', 'alice', t0 + 15 * MIN);
        // A failure after the window starts a new count.
        await throttle.fail('10.0.0.9', 'alice', t0 + 15 * MIN);
        await throttle.check('10.0.0.9', 'alice', t0 + 15 * MIN);
      });

      it('locks an address that fails across many accounts', async () => {
        const throttle = new LoginThrottle(store, { address: { failures: 5, windowSeconds: 60 } });
        for (let i = 0; i < 5; i++) await throttle.fail('10.0.0.1', `user${i}`, t0);
        expect(await limited(throttle, '10.0.0.1', 'fresh', t0)).toBe(60);
        await throttle.check('10.0.0.2', 'user0', t0);
        await throttle.check('10.0.0.1', 'fresh', t0 + MIN);
      });

      it('clears the account on success, but not the address', async () => {
        const throttle = new LoginThrottle(store, { account: { failures: 3 }, address: { failures: 5 } });
        for (let i = 0; i < 2; i++) await throttle.fail('10.0.0.1', 'alice', t0);
        await throttle.succeed('10.0.0.1', 'alice');
        for (let i = 0; i < 2; i++) await throttle.fail('10.0.0.1', 'alice', t0);
        await throttle.check('10.0.0.1', 'alice', t0);
        await throttle.fail('10.0.0.1', 'alice', t0);
        expect(await limited(throttle, '10.0.0.2', 'alice', t0)).toBeGreaterThan(0);
        await throttle.succeed('10.0.0.1', 'alice');
        expect(await limited(throttle, '10.0.0.1', 'bob', t0)).toBeGreaterThan(0);
      });

      it('counts every one of many concurrent failures', async () => {
        const throttle = new LoginThrottle(store, { account: { failures: 30 }, address: { failures: 30 } });
        await Promise.all(Array.from({ length: 29 }, () => throttle.fail('10.0.0.1', 'alice', t0)));
        await throttle.check('10.0.0.1', 'alice', t0);
        await throttle.fail('10.0.0.1', 'alice', t0);
        await limited(throttle, '10.0.0.2', 'alice', t0);
        await limited(throttle, '10.0.0.1', 'bob', t0);
      });
    });
  });
}
