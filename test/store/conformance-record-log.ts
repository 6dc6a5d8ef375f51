import { describe, expect, it } from 'vitest';
import { delta, offsets, range, type StoreContext } from './helpers.js';

const CAP = 10_000;

/** `getWithLog`: what `get`, `logInfo` and `read` give, together and from one moment. */
export function recordWithLogTests(ctx: StoreContext): void {
  describe('a record with a page of its log', () => {
    it('reads a missing record and a missing log as undefined, with no events', async () => {
      const read = await ctx.store().getWithLog('tasks', 'nope', 'nope', 0, 10);
      expect(read).toEqual({ events: [] });
      expect(read.record).toBeUndefined();
      expect(read.log).toBeUndefined();
    });

    it('gives what get, logInfo and read give, for any page', async () => {
      const store = ctx.store();
      await store.put('tasks', 't', { state: 'running' });
      await store.put('tasks', 't', { state: 'succeeded' });
      await store.createLog('t');
      for (const n of range(0, 6)) await store.append('t', delta(n), 4);
      await store.closeLog('t', [delta(6)], 4);

      const whole = await store.getWithLog<{ state: string }>('tasks', 't', 't', 0, 100);
      expect(whole).toEqual({ record: await store.get('tasks', 't'), log: await store.logInfo('t'), events: await store.read('t', 0, 100) });
      expect(whole.record).toEqual({ value: { state: 'succeeded' }, version: 2 });
      expect(whole.log).toMatchObject({ first: 3, next: 7, closed: true });
      expect(offsets(whole.events)).toEqual([3, 4, 5, 6]);

      for (const [from, limit] of [[4, 2], [6, 10], [7, 10], [-5, 1]] as const) {
        expect((await store.getWithLog('tasks', 't', 't', from, limit)).events).toEqual(await store.read('t', from, limit));
      }
      const none = await store.getWithLog('tasks', 't', 't', 0, 0);
      expect(none.events).toEqual([]);
      expect(none.log).toEqual(whole.log);
    });

    it('reads the record and the log each on its own terms', async () => {
      const store = ctx.store();
      await store.put('tasks', 'only-record', 1);
      await store.createLog('only-log');
      await store.append('only-log', delta(0), CAP);
      const recordAlone = await store.getWithLog('tasks', 'only-record', 'only-record', 0, 10);
      expect(recordAlone).toMatchObject({ record: { value: 1, version: 1 }, events: [] });
      expect(recordAlone.log).toBeUndefined();
      const logAlone = await store.getWithLog('tasks', 'only-log', 'only-log', 0, 10);
      expect(logAlone.record).toBeUndefined();
      expect(logAlone.log).toMatchObject({ next: 1, first: 0, closed: false });
      expect(offsets(logAlone.events)).toEqual([0]);
    });

    it('is one snapshot: the page ends where the info says the log ends, whatever is appended meanwhile', async () => {
      const store = ctx.store();
      await store.put('tasks', 't', 'running');
      await store.createLog('t');
      const appends: Promise<unknown>[] = [];
      const reads: ReturnType<typeof store.getWithLog>[] = [];
      for (const n of range(0, 200)) {
        appends.push(store.append('t', delta(n), CAP));
        reads.push(store.getWithLog('tasks', 't', 't', 0, 1_000));
        // Now and then a turn of the event loop, so reads and appends interleave in every order.
        if (n % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(appends);
      for (const read of await Promise.all(reads)) expect(offsets(read.events)).toEqual(range(0, read.log!.next));
    });
  });
}
