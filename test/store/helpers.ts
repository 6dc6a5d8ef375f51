import { afterEach, beforeEach } from 'vitest';
import type { EventInput, TaskEvent } from '../../src/engine/events.js';
import type { Store, Subscription } from '../../src/store/store.js';

export type MakeStore = () => Promise<Store>;

export interface StoreContext {
  /** The store opened for the current test. */
  store(): Store;
  /** Opens one more store on the same backing data (closed after the test). */
  open(): Promise<Store>;
}

/** Gives each test a fresh store and closes every store a test opened. */
export function useStores(makeStore: MakeStore): StoreContext {
  const opened: Store[] = [];
  let current: Store | undefined;
  const open = async (): Promise<Store> => {
    const store = await makeStore();
    opened.push(store);
    return store;
  };
  beforeEach(async () => {
    current = await open();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    current = undefined;
  });
  return {
    store: () => {
      if (!current) throw new Error('no store outside a test');
      return current;
    },
    open,
  };
}

/** A distinct event per `n`, so sequences can be compared by content as well as offset. */
export function delta(n: number, messageId = 'm1'): EventInput {
  return { type: 'message.delta', data: { messageId, text: `chunk ${n}` } };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

export function offsets(events: TaskEvent[]): number[] {
  return events.map((e) => e.offset);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Collector {
  readonly events: TaskEvent[];
  readonly subscription: Subscription;
  /** Resolves once `count` events arrived; rejects if the subscription fails first. */
  received(count: number): Promise<TaskEvent[]>;
}

/**
 * Subscribes and records what arrives, as a caller would. With `slow`, each
 * delivery awaits a macrotask first, so later events pile up behind it.
 */
export function collect(store: Store, logId: string, from: number, opts: { slow?: boolean } = {}): Collector {
  const events: TaskEvent[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const subscription = store.subscribe(logId, from, async (event) => {
    if (opts.slow) await new Promise((resolve) => setImmediate(resolve));
    events.push(event);
    for (const waiter of waiters.filter((w) => events.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const failed = subscription.failed.then((error) => Promise.reject(error));
  failed.catch(() => {});
  return {
    events,
    subscription,
    async received(count) {
      if (events.length < count) {
        await Promise.race([new Promise<void>((resolve) => waiters.push({ count, resolve })), failed]);
      }
      return events.slice(0, count);
    },
  };
}

/** Resolves with the next `count` messages heard on `channel`. */
export function hear(store: Store, channel: string, count: number): { messages: string[]; done: Promise<string[]>; stop(): void } {
  const messages: string[] = [];
  let resolve!: (m: string[]) => void;
  const done = new Promise<string[]>((r) => (resolve = r));
  const stop = store.listen(channel, (message) => {
    messages.push(message);
    if (messages.length === count) resolve([...messages]);
  });
  return { messages, done, stop };
}
