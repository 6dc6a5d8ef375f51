import type { Store } from '../store/store.js';
import { EngineError } from './errors.js';
import { sha256 } from './secrets.js';
import { WindowCounters } from './window-counters.js';

/** Record collection this module owns. */
const C = { counter: 'login_failures' } as const;

export interface ThrottleBudget {
  /** Failed attempts allowed within one window; the next attempt is refused until the window ends. */
  failures: number;
  windowSeconds: number;
}

export interface LoginThrottleOptions {
  /** Guessing one account's password. Default 10 failures per 15 minutes. */
  account?: Partial<ThrottleBudget>;
  /** One client trying many accounts (password spraying). Default 50 failures per 15 minutes. */
  address?: Partial<ThrottleBudget>;
}

const DEFAULTS = {
  account: { failures: 10, windowSeconds: 15 * 60 },
  address: { failures: 50, windowSeconds: 15 * 60 },
} satisfies Record<Scope, ThrottleBudget>;

type Scope = 'account' | 'address';

/**
 * Throttles password logins per client address and per account. Counters
 * live in the store, so every gateway instance sees the same ones, and are
 * bumped with compare-and-set so concurrent failures are never lost.
 *
 * - `check` before verifying a password, `fail` after a wrong one, `succeed`
 *   after a right one. Attempts that pass `check` at the same moment may all
 *   go ahead, so a burst can overshoot a budget by its concurrency.
 * - Success clears the account's counter, not the address's: one valid
 *   account must not reset the budget of a client spraying others.
 * - A locked account is locked for every address, so anyone can lock one for
 *   a window; that is the price of stopping distributed guessing.
 * - Account names are compared case-insensitively, and stored only hashed.
 */
export class LoginThrottle {
  private readonly budgets: Record<Scope, ThrottleBudget>;
  private readonly counters: WindowCounters;

  constructor(store: Store, options: LoginThrottleOptions = {}) {
    this.counters = new WindowCounters(store, C.counter);
    this.budgets = {
      account: { ...DEFAULTS.account, ...options.account },
      address: { ...DEFAULTS.address, ...options.address },
    };
  }

  /** Throws `rate_limited` (detail `retryAfterSeconds`) when the address or the account is over its budget. */
  async check(address: string, account: string, now = Date.now()): Promise<void> {
    const waits = await Promise.all([this.wait('address', address, now), this.wait('account', account, now)]);
    const retryAfterSeconds = Math.max(...waits);
    if (retryAfterSeconds > 0) {
      throw new EngineError('rate_limited', 'too many failed login attempts; try again later', { retryAfterSeconds });
    }
  }

  /** Records a failed attempt against both the address and the account. */
  async fail(address: string, account: string, now = Date.now()): Promise<void> {
    await Promise.all([this.bump('address', address, now), this.bump('account', account, now)]);
  }

  /** A successful login: the account starts from a clean slate. */
  async succeed(_address: string, account: string): Promise<void> {
    await this.counters.clear(counterId('account', account));
  }

  /** Seconds until `key` may try again; 0 when it may now. */
  private async wait(scope: Scope, key: string, now: number): Promise<number> {
    const { failures, windowSeconds } = this.budgets[scope];
    const counter = await this.counters.read(counterId(scope, key), windowSeconds * 1000, now);
    if (!counter || counter.count < failures) return 0;
    return Math.ceil((counter.windowStart + windowSeconds * 1000 - now) / 1000);
  }

  private async bump(scope: Scope, key: string, now: number): Promise<void> {
    await this.counters.bump(counterId(scope, key), this.budgets[scope].windowSeconds * 1000, now);
  }
}

/** Hashed so that client input of any length or shape makes a short, safe record id. */
function counterId(scope: Scope, key: string): string {
  return `${scope}:${sha256(scope === 'account' ? key.trim().toLowerCase() : key)}`;
}
