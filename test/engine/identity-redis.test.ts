import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/engine/login-throttle.js';
import { RefreshTokens } from '../../src/engine/refresh-tokens.js';
import { Sessions } from '../../src/engine/sessions.js';
import type { RedisStore } from '../../src/store/redis-store.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { alice, identitySuite, rejectsWith } from './identity-suite.js';

const redis = redisPerFile('id');
identitySuite('redis', () => Promise.resolve(redis.store()));

describe('login identity across two gateway instances on one Redis', () => {
  let a: RedisStore;
  let b: RedisStore;
  const now = Date.now();
  beforeAll(() => {
    // Two handles with one prefix: what two instances behind a load balancer share.
    const keyPrefix = `twin${Date.now()}:`;
    a = redis.store(keyPrefix);
    b = redis.store(keyPrefix);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  afterEach(async () => {
    await new Sessions(a).revokeAllOf('acme', 'alice');
    await new RefreshTokens(a).revokeAllOf('acme', 'alice');
  });

  it('throttles with one count: failures through either instance lock the account on both', async () => {
    const budget = { account: { failures: 40 }, address: { failures: 1000 } };
    const [onA, onB] = [new LoginThrottle(a, budget), new LoginThrottle(b, budget)];
    await Promise.all(
      Array.from({ length: 39 }, (_, i) => (i % 2 ? onA : onB).fail(`10.0.1.${i}`, 'alice', now)),
    );
    await onA.check('10.0.2.1', 'alice', now);
    await onB.check('10.0.2.1', 'alice', now);
    await onA.fail('10.0.2.1', 'alice', now);
    await rejectsWith(onB.check('10.0.2.2', 'alice', now), 'rate_limited');
    await onB.succeed('10.0.2.2', 'alice');
    await onA.check('10.0.2.2', 'alice', now);
  });

  it('revokes a session on one instance for both', async () => {
    const [onA, onB] = [new Sessions(a), new Sessions(b)];
    const { id, cookie } = await onA.create(alice, {}, now);
    expect(await onB.verify(cookie, now)).toEqual(alice);
    expect(await onB.revoke(id)).toBe(true);
    expect(await onA.verify(cookie, now)).toBeUndefined();
  });

  it('lets one of two rotations racing on two instances win, and reuse on either revokes the family', async () => {
    const [onA, onB] = [new RefreshTokens(a), new RefreshTokens(b)];
    const token = await onA.issue(alice, {}, now);
    const results = await Promise.allSettled([onA.rotate(token, now), onB.rotate(token, now)]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost).toMatchObject({ reason: { code: 'unauthenticated' } });
    // Across two connections the loser may have read the token before or after the win was recorded:
    // before, it lost the compare-and-set and the family lives on; after, it was reuse and the family is gone.
    if (!/concurrently/.test((lost as PromiseRejectedResult).reason.message)) {
      await rejectsWith(onB.rotate(won[0]!.token, now), 'unauthenticated');
      return;
    }
    const next = await onB.rotate(won[0]!.token, now);
    await rejectsWith(onA.rotate(token, now), 'unauthenticated');
    await rejectsWith(onB.rotate(next.token, now), 'unauthenticated');
  });
});
