import { describe, expect, it } from 'vitest';
import { logTests, subscriptionTests } from './conformance-logs.js';
import { linkedRecordTests } from './conformance-linked.js';
import { recordWithLogTests } from './conformance-record-log.js';
import { hear, sleep, useStores, type MakeStore, type StoreContext } from './helpers.js';

/**
 * The one suite every `Store` implementation passes. Each test starts on
 * fresh, empty data; every store `makeStore` opens during one test must share
 * that test's data, as instances on one server do.
 */
export function storeConformance(name: string, makeStore: MakeStore): void {
  describe(`Store conformance: ${name}`, () => {
    const ctx = useStores(makeStore);
    recordTests(ctx);
    linkedRecordTests(ctx);
    listingTests(ctx);
    logTests(ctx);
    recordWithLogTests(ctx);
    subscriptionTests(ctx);
    leaseTests(ctx);
    signalTests(ctx);
    epochTests(ctx);
  });
}

function epochTests(ctx: StoreContext): void {
  describe('data epoch', () => {
    it('is one non-empty id for the data: stable across calls, writes and every store on it', async () => {
      const store = ctx.store();
      const epoch = await store.dataEpoch();
      expect(epoch).toMatch(/\S/);
      await store.put('c', 'x', 1);
      await store.createLog('log');
      const again = await Promise.all([store.dataEpoch(), store.dataEpoch(), (await ctx.open()).dataEpoch()]);
      expect(again).toEqual([epoch, epoch, epoch]);
    });
  });
}

function recordTests(ctx: StoreContext): void {
  describe('records', () => {
    it('reads a missing record as undefined', async () => {
      expect(await ctx.store().get('tasks', 'nope')).toBeUndefined();
    });

    it('returns what was put, with a version bumped by every write', async () => {
      const store = ctx.store();
      const value = { name: 'Ada', tags: ['a', 'ü', '😀'], nested: { n: 1.5, empty: [], none: null } };
      expect(await store.put('users', 'u1', value)).toBe(true);
      expect(await store.get('users', 'u1')).toEqual({ value, version: 1 });
      expect(await store.put('users', 'u1', { ...value, name: 'Grace' })).toBe(true);
      expect(await store.get('users', 'u1')).toEqual({ value: { ...value, name: 'Grace' }, version: 2 });
    });

    it('hands out copies: changing a value after put or after get changes nothing stored', async () => {
      const store = ctx.store();
      const value = { list: [1, 2] };
      await store.put('c', 'x', value);
      value.list.push(3);
      const read = await store.get<{ list: number[] }>('c', 'x');
      read!.value.list.push(4);
      expect((await store.get('c', 'x'))?.value).toEqual({ list: [1, 2] });
    });

    it('keeps collections apart', async () => {
      const store = ctx.store();
      await store.put('a', 'same', 'in a');
      await store.put('b', 'same', 'in b');
      expect((await store.get('a', 'same'))?.value).toBe('in a');
      expect((await store.get('b', 'same'))?.value).toBe('in b');
    });

    it('writes with ifVersion only when the stored version matches (0 = must not exist)', async () => {
      const store = ctx.store();
      expect(await store.put('c', 'r', 'first', { ifVersion: 1 })).toBe(false);
      expect(await store.get('c', 'r')).toBeUndefined();
      expect(await store.put('c', 'r', 'first', { ifVersion: 0 })).toBe(true);
      expect(await store.put('c', 'r', 'again', { ifVersion: 0 })).toBe(false);
      expect(await store.put('c', 'r', 'second', { ifVersion: 1 })).toBe(true);
      expect(await store.put('c', 'r', 'stale', { ifVersion: 1 })).toBe(false);
      expect(await store.get('c', 'r')).toEqual({ value: 'second', version: 2 });
    });

    it('lets exactly one of many concurrent ifVersion writers win', async () => {
      const store = ctx.store();
      await store.put('c', 'race', 0);
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.put('c', 'race', i, { ifVersion: 1 })));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect((await store.get('c', 'race'))?.version).toBe(2);
    });

    it('deletes, and deleting an absent record is fine', async () => {
      const store = ctx.store();
      await store.put('c', 'd', { x: 1 });
      await store.delete('c', 'd');
      await store.delete('c', 'd');
      await store.delete('c', 'never');
      expect(await store.get('c', 'd')).toBeUndefined();
      expect(await store.put('c', 'd', { x: 2 }, { ifVersion: 0 })).toBe(true);
    });

    it('expires records: ttlSeconds on put, cleared by a put without it, set by expire()', async () => {
      const store = ctx.store();
      await store.put('c', 'ttl', 'short', { ttlSeconds: 1 });
      await store.put('c', 'cleared', 'v1', { ttlSeconds: 1 });
      await store.put('c', 'cleared', 'v2');
      await store.put('c', 'later', 'v');
      await store.expire('c', 'later', 1);
      await store.expire('c', 'absent', 1);
      expect((await store.get('c', 'ttl'))?.value).toBe('short');
      expect((await store.get('c', 'later'))?.value).toBe('v');
      await sleep(1_200);
      expect(await store.get('c', 'ttl')).toBeUndefined();
      expect(await store.get('c', 'later')).toBeUndefined();
      expect(await store.get('c', 'cleared')).toEqual({ value: 'v2', version: 2 });
      expect(await store.get('c', 'absent')).toBeUndefined();
      // An expired record is gone: "must not exist" holds again.
      expect(await store.put('c', 'ttl', 'new', { ifVersion: 0 })).toBe(true);
    });
  });
}

function listingTests(ctx: StoreContext): void {
  describe('listings', () => {
    it('orders by score, then by member, with reverse, pages and total', async () => {
      const store = ctx.store();
      await store.indexAdd('l', 'c', 3);
      await store.indexAdd('l', 'a', 1);
      await store.indexAdd('l', 'b2', 2);
      await store.indexAdd('l', 'b1', 2);
      await store.indexAdd('l', 'e', 5);
      expect(await store.indexRange('l', { offset: 0, limit: 10 })).toEqual({
        members: ['a', 'b1', 'b2', 'c', 'e'],
        total: 5,
      });
      expect(await store.indexRange('l', { offset: 0, limit: 10, reverse: true })).toEqual({
        members: ['e', 'c', 'b2', 'b1', 'a'],
        total: 5,
      });
      expect(await store.indexRange('l', { offset: 1, limit: 2 })).toEqual({ members: ['b1', 'b2'], total: 5 });
      expect(await store.indexRange('l', { offset: 1, limit: 2, reverse: true })).toEqual({ members: ['c', 'b2'], total: 5 });
      expect(await store.indexRange('l', { offset: 4, limit: 3 })).toEqual({ members: ['e'], total: 5 });
      expect(await store.indexRange('l', { offset: 9, limit: 3 })).toEqual({ members: [], total: 5 });
      expect(await store.indexRange('l', { offset: 0, limit: 0 })).toEqual({ members: [], total: 5 });
    });

    it('re-scores an existing member and removes members', async () => {
      const store = ctx.store();
      await store.indexAdd('l', 'x', 1);
      await store.indexAdd('l', 'y', 2);
      await store.indexAdd('l', 'x', 3);
      expect(await store.indexRange('l', { offset: 0, limit: 10 })).toEqual({ members: ['y', 'x'], total: 2 });
      await store.indexRemove('l', 'y');
      await store.indexRemove('l', 'never');
      expect(await store.indexRange('l', { offset: 0, limit: 10 })).toEqual({ members: ['x'], total: 1 });
      await store.indexRemove('l', 'x');
      expect(await store.indexRange('l', { offset: 0, limit: 10 })).toEqual({ members: [], total: 0 });
    });

    it('reads a missing listing as empty', async () => {
      expect(await ctx.store().indexRange('none', { offset: 0, limit: 5, reverse: true })).toEqual({ members: [], total: 0 });
      expect(await ctx.store().indexUpTo('none', 100, 5)).toEqual([]);
    });

    it('lists members up to a score, inclusive, ascending, at most limit', async () => {
      const store = ctx.store();
      for (const [member, score] of [['t4', 400], ['t1', 100], ['t3', 300], ['t2', 200], ['t2b', 200]] as const) {
        await store.indexAdd('due', member, score);
      }
      expect(await store.indexUpTo('due', 200, 10)).toEqual(['t1', 't2', 't2b']);
      expect(await store.indexUpTo('due', 1_000, 2)).toEqual(['t1', 't2']);
      expect(await store.indexUpTo('due', 99, 10)).toEqual([]);
      expect(await store.indexUpTo('due', 400, 0)).toEqual([]);
    });

    it('pages a large listing in reverse without losing or repeating members', async () => {
      const store = ctx.store();
      await Promise.all(Array.from({ length: 45 }, (_, i) => store.indexAdd('big', `m${String(i).padStart(2, '0')}`, i)));
      const seen: string[] = [];
      for (let offset = 0; ; offset += 10) {
        const page = await store.indexRange('big', { offset, limit: 10, reverse: true });
        expect(page.total).toBe(45);
        if (page.members.length === 0) break;
        seen.push(...page.members);
      }
      expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => `m${String(44 - i).padStart(2, '0')}`));
    });
  });
}

function leaseTests(ctx: StoreContext): void {
  describe('leases', () => {
    it('acquires, refuses other owners, renews, releases', async () => {
      const store = ctx.store();
      expect(await store.holder('runner:t1')).toBeUndefined();
      expect(await store.acquire('runner:t1', 'a', 10_000)).toBe(true);
      expect(await store.holder('runner:t1')).toBe('a');
      expect(await store.acquire('runner:t1', 'b', 10_000)).toBe(false);
      expect(await store.acquire('runner:t1', 'a', 10_000)).toBe(true);
      expect(await store.renew('runner:t1', 'a', 10_000)).toBe(true);
      expect(await store.renew('runner:t1', 'b', 10_000)).toBe(false);
      await store.release('runner:t1', 'b');
      expect(await store.holder('runner:t1')).toBe('a');
      await store.release('runner:t1', 'a');
      expect(await store.holder('runner:t1')).toBeUndefined();
      expect(await store.renew('runner:t1', 'a', 10_000)).toBe(false);
      expect(await store.acquire('runner:t1', 'b', 10_000)).toBe(true);
      expect(await store.holder('runner:t1')).toBe('b');
    });

    it('gives a contested free lease to exactly one owner', async () => {
      const store = ctx.store();
      const won = await Promise.all(Array.from({ length: 10 }, (_, i) => store.acquire('slot', `o${i}`, 10_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await store.holder('slot')).toBe(`o${won.indexOf(true)}`);
    });

    it('lets a lease lapse after its ttl unless renewed', async () => {
      const store = ctx.store();
      await store.acquire('lapse', 'a', 300);
      await store.acquire('kept', 'a', 300);
      expect(await store.renew('kept', 'a', 10_000)).toBe(true);
      await sleep(600);
      expect(await store.holder('lapse')).toBeUndefined();
      expect(await store.renew('lapse', 'a', 1_000)).toBe(false);
      expect(await store.acquire('lapse', 'b', 1_000)).toBe(true);
      expect(await store.holder('kept')).toBe('a');
    });
  });
}

function signalTests(ctx: StoreContext): void {
  describe('publish/listen', () => {
    it('delivers messages in order to every listener of the channel, and only of that channel', async () => {
      const store = ctx.store();
      const one = hear(store, 'cancel', 3);
      const two = hear(store, 'cancel', 3);
      const other = hear(store, 'other', 1);
      for (const m of ['x', 'y', 'z']) await store.publish('cancel', m);
      await store.publish('other', 'o');
      expect(await one.done).toEqual(['x', 'y', 'z']);
      expect(await two.done).toEqual(['x', 'y', 'z']);
      expect(await other.done).toEqual(['o']);
    });

    it('stops delivering once the listener stops', async () => {
      const store = ctx.store();
      const stopped = hear(store, 'ch', 1);
      const still = hear(store, 'ch', 2);
      await store.publish('ch', 'first');
      expect(await stopped.done).toEqual(['first']);
      stopped.stop();
      stopped.stop();
      await store.publish('ch', 'second');
      expect(await still.done).toEqual(['first', 'second']);
      expect(stopped.messages).toEqual(['first']);
    });

    it('publishing on a channel nobody listens to is fine', async () => {
      await expect(ctx.store().publish('nobody', 'hello')).resolves.toBeUndefined();
    });
  });
}
