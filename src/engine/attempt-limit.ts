import type { Store } from '../store/store.js';
import { EngineError } from './errors.js';
import { sha256 } from './secrets.js';
import { secondsLeft, WindowCounters } from './window-counters.js';

export interface AttemptBudget {
  attempts: number;
  windowSeconds: number;
}

/**
 * Counts every attempt of a kind per key (a client address), right or wrong,
 * in the store so every instance shares the budget: the flat "N tries a
 * minute" some APIs promise, on top of the failure throttle of logins.
 */
export class AttemptLimit {
  private readonly counters: WindowCounters;

  constructor(store: Store) {
    this.counters = new WindowCounters(store, 'attempts');
  }

  /** Counts one attempt; throws `rate_limited` (detail `retryAfterSeconds`) when it is over the budget. */
  async take(kind: string, key: string, budget: AttemptBudget, message: string, now = Date.now()): Promise<void> {
    const windowMs = budget.windowSeconds * 1000;
    const counter = await this.counters.bump(`${kind}:${sha256(key)}`, windowMs, now);
    if (counter.count > budget.attempts) {
      throw new EngineError('rate_limited', message, { retryAfterSeconds: secondsLeft(counter, windowMs, now) });
    }
  }
}
