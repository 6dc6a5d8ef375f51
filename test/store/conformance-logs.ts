import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/engine/events.js';
import { FenceLostError, LogClosedError, LogMissingError } from '../../src/store/store.js';
import { collect, delta, offsets, range, sleep, type StoreContext } from './helpers.js';

const CAP = 10_000;

export function logTests(ctx: StoreContext): void {
  describe('event logs', () => {
    it('creates a log once: same epoch on a second create, empty info', async () => {
      const store = ctx.store();
      expect(await store.logInfo('t1')).toBeUndefined();
      const epoch = await store.createLog('t1');
      expect(epoch).toMatch(/\S/);
      expect(await store.createLog('t1')).toBe(epoch);
      expect(await store.logInfo('t1')).toEqual({ epoch, next: 0, first: 0, closed: false });
      expect(await store.createLog('t2')).not.toBe(epoch);
      expect(await store.read('t1', 0, 10)).toEqual([]);
      expect(await store.read('missing', 0, 10)).toEqual([]);
    });

    it('appends with offsets from 0 and the time, and reads from any offset', async () => {
      const store = ctx.store();
      const epoch = await store.createLog('t');
      const before = Date.now() - 1_000;
      const appended: TaskEvent[] = [];
      for (const n of range(0, 6)) appended.push(await store.append('t', delta(n), CAP));
      expect(offsets(appended)).toEqual(range(0, 6));
      for (const [n, event] of appended.entries()) {
        expect(event).toMatchObject({ ...delta(n), offset: n });
        expect(event.ts).toBeGreaterThanOrEqual(before);
        expect(event.ts).toBeLessThanOrEqual(Date.now() + 1_000);
      }
      expect(await store.read('t', 0, 100)).toEqual(appended);
      expect(await store.read('t', 3, 100)).toEqual(appended.slice(3));
      expect(await store.read('t', 2, 2)).toEqual(appended.slice(2, 4));
      expect(await store.read('t', 6, 100)).toEqual([]);
      expect(await store.read('t', 0, 0)).toEqual([]);
      expect(await store.logInfo('t')).toEqual({ epoch, next: 6, first: 0, closed: false });
    });

    it('stores the event itself, whatever offset or ts the input carried', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const input = { type: 'card', data: { kind: 'table', content: { rows: [[1, 'a']], none: null } } } as const;
      const stale = { ...input, offset: 99, ts: 1 } as unknown as Parameters<typeof store.append>[1];
      const event = await store.append('t', stale, CAP);
      expect(event.offset).toBe(0);
      expect(event.ts).toBeGreaterThan(1);
      expect(await store.read('t', 0, 1)).toEqual([{ ...input, offset: 0, ts: event.ts }]);
    });

    it('keeps at most cap events, dropping the oldest; offsets and epoch stay', async () => {
      const store = ctx.store();
      const epoch = await store.createLog('t');
      for (const n of range(0, 10)) await store.append('t', delta(n), 4);
      expect(offsets(await store.read('t', 0, 100))).toEqual([6, 7, 8, 9]);
      expect(offsets(await store.read('t', 3, 100))).toEqual([6, 7, 8, 9]);
      expect(offsets(await store.read('t', 8, 100))).toEqual([8, 9]);
      expect((await store.read('t', 7, 1))[0]).toMatchObject(delta(7));
      expect(await store.logInfo('t')).toEqual({ epoch, next: 10, first: 6, closed: false });
    });

    it('refuses to append to a missing log', async () => {
      const error = await ctx
        .store()
        .append('ghost', delta(0), CAP)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogMissingError);
      expect((error as LogMissingError).logId).toBe('ghost');
    });

    it('gives 200 concurrent appends distinct, gap-free offsets in one strict order', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const watcher = collect(store, 't', 0);
      const appended = await Promise.all(range(0, 200).map((n) => store.append('t', delta(n), CAP)));
      expect(offsets(appended).sort((a, b) => a - b)).toEqual(range(0, 200));
      const stored = await store.read('t', 0, 1_000);
      expect(offsets(stored)).toEqual(range(0, 200));
      // Each stored offset holds the event that append reported for it.
      for (const event of appended) expect(stored[event.offset]).toEqual(event);
      expect(await watcher.received(200)).toEqual(stored);
    });

    it('expires a log: gone after its ttl, appends refused, a new create gets a new epoch', async () => {
      const store = ctx.store();
      const epoch = await store.createLog('done');
      await store.append('done', delta(0), CAP);
      await store.createLog('kept');
      await store.expireLog('done', 1);
      expect(await store.logInfo('done')).toMatchObject({ epoch, next: 1 });
      await sleep(1_200);
      expect(await store.logInfo('done')).toBeUndefined();
      expect(await store.read('done', 0, 10)).toEqual([]);
      await expect(store.append('done', delta(1), CAP)).rejects.toBeInstanceOf(LogMissingError);
      expect(await store.logInfo('kept')).toMatchObject({ next: 0 });
      const again = await store.createLog('done');
      expect(again).not.toBe(epoch);
      expect(await store.logInfo('done')).toEqual({ epoch: again, next: 0, first: 0, closed: false });
    });
  });
}

export function subscriptionTests(ctx: StoreContext): void {
  describe('closing a log and fenced writes', () => {
    const finished = { type: 'task.finished', data: { state: 'succeeded' } } as const;
    const failure = { type: 'error', data: { message: 'boom' } } as const;

    it('closes a log with its last events in one step; nothing is appended after', async () => {
      const store = ctx.store();
      const epoch = await store.createLog('t');
      await store.append('t', delta(0), CAP);
      const closing = await store.closeLog('t', [failure, finished], CAP);
      expect(closing?.map((e) => [e.offset, e.type])).toEqual([
        [1, 'error'],
        [2, 'task.finished'],
      ]);
      expect(await store.logInfo('t')).toEqual({ epoch, next: 3, first: 0, closed: true });
      await expect(store.append('t', delta(3), CAP)).rejects.toBeInstanceOf(LogClosedError);
      // A second close (another instance's reaper, a retry) appends nothing.
      expect(await store.closeLog('t', [finished], CAP)).toBeUndefined();
      expect(offsets(await store.read('t', 0, 100))).toEqual([0, 1, 2]);
      await expect(store.closeLog('missing', [finished], CAP)).rejects.toBeInstanceOf(LogMissingError);
    });

    it('lets exactly one of 20 concurrent closes write its events', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const outcomes = await Promise.all(range(0, 20).map((n) => store.closeLog('t', [failure, { type: 'task.finished', data: { state: 'failed', error: `close ${n}` } }], CAP)));
      expect(outcomes.filter((o) => o !== undefined)).toHaveLength(1);
      const events = await store.read('t', 0, 100);
      expect(events.map((e) => e.type)).toEqual(['error', 'task.finished']);
    });

    it('delivers the closing events to subscribers', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const seen = collect(store, 't', 0);
      await store.append('t', delta(0), CAP);
      await store.closeLog('t', [finished], CAP);
      expect((await seen.received(2)).map((e) => e.type)).toEqual(['message.delta', 'task.finished']);
      seen.subscription.close();
    });

    it('appends under a fence only while its owner holds the lease, checked in the same step', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const fence = { lease: 'run:t', owner: 'gw-a' };
      await expect(store.append('t', delta(0), CAP, fence)).rejects.toBeInstanceOf(FenceLostError);
      expect(await store.acquire('run:t', 'gw-a', 60_000)).toBe(true);
      expect((await store.append('t', delta(0), CAP, fence)).offset).toBe(0);
      // Someone else holds it now: refused, and nothing was written.
      await store.release('run:t', 'gw-a');
      expect(await store.acquire('run:t', 'gw-b', 60_000)).toBe(true);
      await expect(store.append('t', delta(1), CAP, fence)).rejects.toBeInstanceOf(FenceLostError);
      await expect(store.closeLog('t', [finished], CAP, fence)).rejects.toBeInstanceOf(FenceLostError);
      expect(await store.logInfo('t')).toMatchObject({ next: 1, closed: false });
      // The new holder writes, and closes.
      expect(await store.closeLog('t', [finished], CAP, { lease: 'run:t', owner: 'gw-b' })).toHaveLength(1);
    });

    it('refuses a fenced write once the lease lapsed', async () => {
      const store = ctx.store();
      await store.createLog('t');
      await store.acquire('run:t', 'gw-a', 150);
      await sleep(300);
      await expect(store.append('t', delta(0), CAP, { lease: 'run:t', owner: 'gw-a' })).rejects.toBeInstanceOf(FenceLostError);
    });
  });

  describe('subscriptions', () => {
    it('replays stored events, then delivers live ones', async () => {
      const store = ctx.store();
      await store.createLog('t');
      for (const n of range(0, 5)) await store.append('t', delta(n), CAP);
      const watcher = collect(store, 't', 0);
      expect(offsets(await watcher.received(5))).toEqual(range(0, 5));
      for (const n of range(5, 10)) await store.append('t', delta(n), CAP);
      const events = await watcher.received(10);
      expect(events).toEqual(await store.read('t', 0, 100));
    });

    it('has no gap and no duplicate while appends race the subscription start', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const total = 300;
      const watchers: ReturnType<typeof collect>[] = [];
      for (const n of range(0, total)) {
        // Subscribers join at many points while the appends keep coming.
        if (n % 37 === 0) watchers.push(collect(store, 't', 0));
        void store.append('t', delta(n), CAP);
        if (n % 10 === 0) await Promise.resolve();
      }
      const expected = await waitForLog(store, 't', total);
      for (const watcher of watchers) expect(await watcher.received(total)).toEqual(expected);
      for (const watcher of watchers) expect(watcher.events).toHaveLength(total);
    });

    it('delivers the last event of a log when it is appended while the subscription starts', async () => {
      const store = ctx.store();
      const logs = range(0, 100).map((n) => `last${n}`);
      for (const log of logs) await store.createLog(log);
      // Nothing follows these appends, so a missed one would never be made up for.
      const watchers = logs.map((log) => {
        const watcher = collect(store, log, 0);
        void store.append(log, delta(0), CAP);
        return watcher;
      });
      for (const watcher of watchers) expect(offsets(await watcher.received(1))).toEqual([0]);
    });

    it('gives 100 subscribers of one log the same ordered sequence', async () => {
      const store = ctx.store();
      await store.createLog('t');
      for (const n of range(0, 3)) await store.append('t', delta(n), CAP);
      const watchers = range(0, 100).map(() => collect(store, 't', 0));
      await Promise.all(range(3, 23).map((n) => store.append('t', delta(n), CAP)));
      const expected = await store.read('t', 0, 100);
      expect(offsets(expected)).toEqual(range(0, 23));
      for (const watcher of watchers) expect(await watcher.received(23)).toEqual(expected);
    });

    it('starts from a middle offset, or from the next one not yet appended', async () => {
      const store = ctx.store();
      await store.createLog('t');
      for (const n of range(0, 10)) await store.append('t', delta(n), CAP);
      const middle = collect(store, 't', 4);
      const ahead = collect(store, 't', 12);
      expect(offsets(await middle.received(6))).toEqual(range(4, 10));
      for (const n of range(10, 14)) await store.append('t', delta(n), CAP);
      expect(offsets(await middle.received(10))).toEqual(range(4, 14));
      expect(offsets(await ahead.received(2))).toEqual([12, 13]);
    });

    it('starts at the first retained event when asked for dropped ones', async () => {
      const store = ctx.store();
      await store.createLog('t');
      for (const n of range(0, 8)) await store.append('t', delta(n), 3);
      const watcher = collect(store, 't', 1);
      expect(offsets(await watcher.received(3))).toEqual([5, 6, 7]);
      await store.append('t', delta(8), 3);
      expect(offsets(await watcher.received(4))).toEqual([5, 6, 7, 8]);
    });

    it('waits for a log that does not exist yet', async () => {
      const store = ctx.store();
      const watcher = collect(store, 'later', 0);
      await store.createLog('later');
      await store.append('later', delta(0), CAP);
      await store.append('later', delta(1), CAP);
      expect(await watcher.received(2)).toEqual(await store.read('later', 0, 10));
    });

    it('stops delivering once closed', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const closing = collect(store, 't', 0);
      const staying = collect(store, 't', 0);
      for (const n of range(0, 3)) await store.append('t', delta(n), CAP);
      await closing.received(3);
      closing.subscription.close();
      closing.subscription.close();
      for (const n of range(3, 6)) await store.append('t', delta(n), CAP);
      expect(offsets(await staying.received(6))).toEqual(range(0, 6));
      expect(offsets(closing.events)).toEqual(range(0, 3));
    });

    it('waits for a slow onEvent: never concurrent, strict order, nothing lost', async () => {
      const store = ctx.store();
      await store.createLog('t');
      let inFlight = 0;
      let maxInFlight = 0;
      const seen: number[] = [];
      let finish!: () => void;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const total = 1_500;
      store.subscribe('t', 0, async (event) => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(event.offset);
        inFlight--;
        if (seen.length === total) finish();
      });
      await Promise.all(range(0, total).map((n) => store.append('t', delta(n), CAP)));
      await finished;
      expect(seen).toEqual(range(0, total));
      expect(maxInFlight).toBe(1);
    });

    it('fails the subscription when onEvent throws, and stops delivering', async () => {
      const store = ctx.store();
      await store.createLog('t');
      const delivered: number[] = [];
      const subscription = store.subscribe('t', 0, (event) => {
        delivered.push(event.offset);
        if (event.offset === 1) throw new Error('consumer broke');
      });
      for (const n of range(0, 4)) await store.append('t', delta(n), CAP);
      expect((await subscription.failed).message).toBe('consumer broke');
      await collect(store, 't', 0).received(4);
      expect(delivered).toEqual([0, 1]);
    });

    it('settles failed for open subscriptions when the store closes', async () => {
      const store = await ctx.open();
      await store.createLog('t');
      const watcher = collect(store, 't', 0);
      await store.append('t', delta(0), CAP);
      await watcher.received(1);
      await store.close();
      expect(await watcher.subscription.failed).toBeInstanceOf(Error);
    });
  });
}

/** Reads the whole log once `count` events are in it (appends were fired without awaiting). */
async function waitForLog(store: ReturnType<StoreContext['store']>, logId: string, count: number): Promise<TaskEvent[]> {
  const watcher = collect(store, logId, 0);
  await watcher.received(count);
  watcher.subscription.close();
  const events = await store.read(logId, 0, count + 1);
  expect(offsets(events)).toEqual(range(0, count));
  return events;
}
