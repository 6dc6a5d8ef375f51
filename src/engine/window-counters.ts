import type { Store } from '../store/store.js';
import { secondsUntil } from './login-secrets.js';

/** Events counted since `windowStart`; the window is fixed from the first event. */
export interface WindowCount {
  count: number;
  windowStart: number;
}

/** Read-modify-write attempts before giving up: far more than instances contend for one counter. */
const MAX_ATTEMPTS = 200;

/**
 * Fixed-window counters in the store, so every gateway instance counts into
 * the same ones. A bump is a compare-and-set, so concurrent events are never
 * lost; a counter expires with its window.
 */
export class WindowCounters {
  constructor(
    private readonly store: Store,
    private readonly collection: string,
  ) {}

  /** The live count of `id` (undefined when none, or its window is over). */
  async read(id: string, windowMs: number, now = Date.now()): Promise<WindowCount | undefined> {
    const counter = (await this.store.get<WindowCount>(this.collection, id))?.value;
    return counter && now < counter.windowStart + windowMs ? counter : undefined;
  }

  /** Counts one event; returns the count it made. */
  async bump(id: string, windowMs: number, now = Date.now()): Promise<WindowCount> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get<WindowCount>(this.collection, id);
      const live = current && now < current.value.windowStart + windowMs ? current.value : undefined;
      const next: WindowCount = live ? { count: live.count + 1, windowStart: live.windowStart } : { count: 1, windowStart: now };
      const written = await this.store.put(this.collection, id, next, {
        ifVersion: current?.version ?? 0,
        ttlSeconds: secondsUntil(next.windowStart + windowMs, now),
      });
      if (written) return next;
    }
    throw new Error(`too much contention on counter ${this.collection}/${id}`);
  }

  clear(id: string): Promise<unknown> {
    return this.store.delete(this.collection, id);
  }
}

/** Seconds until a window that started at `windowStart` ends (at least 1). */
export function secondsLeft(counter: WindowCount, windowMs: number, now: number): number {
  return secondsUntil(counter.windowStart + windowMs, now);
}
