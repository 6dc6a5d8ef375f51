import type { EventInput, TaskEvent } from '../engine/events.js';

/**
 * The storage contract. `SqliteStore`, `MemoryStore` and `RedisStore` implement it and all
 * pass the one conformance suite in `test/store/`. The engine talks only to
 * this interface, never to a concrete store.
 *
 * Rules that hold for every member:
 * - Missing or expired things read as `undefined` (or empty), never as errors.
 * - Values are JSON: what goes in comes back structurally equal.
 * - Every method is safe to call concurrently from many instances that share
 *   one backing store (Redis), unless its comment says otherwise.
 * - A store that cannot answer in time (down, paused, unreachable) throws
 *   `StoreUnavailableError` instead of waiting for it to come back; whether
 *   that call took effect is then unknown.
 */
export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis';

  // ---- records -----------------------------------------------------------
  /** Reads a record. `undefined` when absent or expired. */
  get<T>(collection: string, id: string): Promise<Versioned<T> | undefined>;
  /**
   * A record and the record it names, read together and, on Redis, in one
   * round trip (a Lua script): `linked` is the record of `link.collection`
   * whose id is the string in the first record's `link.field` (an own
   * property of an object value). `linked` is `undefined` when the first
   * record is absent, its value has no such string, or the named record is
   * absent; each reads as `get` would read it. The second key is found
   * inside the script, so on Redis Cluster both records must share a slot.
   */
  getLinked<A, B>(collection: string, id: string, link: RecordLink): Promise<Linked<A, B>>;
  /**
   * Writes a record. With `ifVersion`, writes only when the stored version
   * equals it (0 = "must not exist") and returns false otherwise: the basis of
   * every read-modify-write in the engine. Each write bumps the version by 1.
   * `ttlSeconds` sets (or, when absent, clears) an expiry.
   */
  put<T>(collection: string, id: string, value: T, opts?: PutOptions): Promise<boolean>;
  /** Removes a record; removing an absent one is not an error. */
  delete(collection: string, id: string): Promise<void>;
  /** Sets an expiry on an existing record without rewriting it. */
  expire(collection: string, id: string, ttlSeconds: number): Promise<void>;

  // ---- listings (sorted sets) ---------------------------------------------
  /** Adds or re-scores a member of a listing. */
  indexAdd(list: string, member: string, score: number): Promise<void>;
  indexRemove(list: string, member: string): Promise<void>;
  /** A page of members by score, ascending unless `reverse`; `total` counts all members. */
  indexRange(list: string, page: IndexPage): Promise<{ members: string[]; total: number }>;
  /** Members whose score is ≤ `maxScore` (ascending), at most `limit`. */
  indexUpTo(list: string, maxScore: number, limit: number): Promise<string[]>;

  // ---- event logs ----------------------------------------------------------
  /**
   * Creates an empty log for a task and returns its epoch. Creating a log
   * that exists returns the existing epoch.
   */
  createLog(logId: string): Promise<string>;
  /** The log's epoch, next offset and whether it is closed, or `undefined` when the log does not exist. */
  logInfo(logId: string): Promise<LogInfo | undefined>;
  /**
   * Appends one event with the next offset (0, 1, 2, …) and the current time,
   * and notifies subscribers on every instance. Concurrent appends get distinct,
   * gap-free offsets in a strict order. Keeps at most `cap` events (oldest
   * dropped first). Throws `LogMissingError` when the log does not exist,
   * `LogClosedError` once it is closed, and, with a `fence`, `FenceLostError`
   * unless the fence's lease is held by its owner at that moment (checked in
   * the same atomic step: a writer that lost its lease cannot slip one more in).
   */
  append(logId: string, event: EventInput, cap: number, fence?: Fence): Promise<TaskEvent>;
  /**
   * Appends `events` and closes the log, all in one atomic step: the log's
   * last events, written exactly once whoever calls and however many call at
   * once. Returns the appended events, or `undefined` (appending nothing)
   * when the log was already closed. Throws like `append` otherwise.
   */
  closeLog(logId: string, events: EventInput[], cap: number, fence?: Fence): Promise<TaskEvent[] | undefined>;
  /** Events with offset ≥ `from`, at most `limit`, in order. */
  read(logId: string, from: number, limit: number): Promise<TaskEvent[]>;
  /**
   * A record, its log's info and a page of that log (as `get`, `logInfo`
   * and `read` give them), read together as one consistent snapshot and, on
   * Redis, in one round trip: what a poll of a task needs. `events` is empty
   * when the log does not exist. On Redis Cluster `id` and `logId` must be
   * the same (a task's record and log share a hash slot).
   */
  getWithLog<T>(collection: string, id: string, logId: string, from: number, limit: number): Promise<RecordWithLog<T>>;
  /**
   * Delivers every event with offset ≥ `from`, each exactly once and in order:
   * first those already stored, then live ones as they are appended, with no
   * gap and no duplicate between the two. `onEvent` is never called
   * concurrently for one subscription; a returned promise is awaited before
   * the next delivery (back-pressure). Cheap when idle: no timers, no reads.
   */
  subscribe(logId: string, from: number, onEvent: (event: TaskEvent) => void | Promise<void>): Subscription;
  /** Sets an expiry on a finished task's log (retention). */
  expireLog(logId: string, ttlSeconds: number): Promise<void>;

  // ---- leases (runner liveness, conversation slots, idempotency) ------------
  /** Takes `name` for `owner` for `ttlMs` when free (or already owned by `owner`). */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease held by `owner`; false when it was lost. */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees a lease held by `owner`; a lease held by someone else is left alone. */
  release(name: string, owner: string): Promise<void>;
  /** Current holder of a lease, `undefined` when free or expired. */
  holder(name: string): Promise<string | undefined>;

  // ---- signals between instances -------------------------------------------
  /** Broadcasts a message on a channel to every instance (including this one). */
  publish(channel: string, message: string): Promise<void>;
  /** Listens on a channel; returns a function that stops listening. */
  listen(channel: string, onMessage: (message: string) => void): () => void;

  // ---- identity of the data ---------------------------------------------------
  /**
   * A random id the store keeps inside its own data (created on first call
   * when absent): it changes when the backing store lost its data (a Redis
   * restarted without persistence, a FLUSHALL), so an instance can notice
   * that what it wrote at boot is gone and write it again. It stays the same
   * for every instance on the same data and across writes; it may also change
   * with nothing lost (the id alone evicted, a memory store restarted), which
   * then costs one needless re-bootstrap, never correctness.
   */
  dataEpoch(): Promise<string>;

  /** Throws when the backing store cannot be reached (readiness probe). */
  ping(): Promise<void>;
  /** Ends subscriptions, flushes (memory snapshot) and closes connections. */
  close(): Promise<void>;
}

export interface LogInfo {
  epoch: string;
  /** Offset the next event would get. */
  next: number;
  /** Offset of the oldest event still kept. */
  first: number;
  /** True once `closeLog` ran: nothing more is ever appended. */
  closed: boolean;
}

/** Where a record names another: `field` of its value holds an id in `collection`. */
export interface RecordLink {
  collection: string;
  field: string;
}

export interface Linked<A, B> {
  record?: Versioned<A>;
  linked?: Versioned<B>;
}

/** The id a record's value names through `link` (see `getLinked`), for the stores that follow it in code. */
export function linkedId(value: unknown, link: RecordLink): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, link.field)) return undefined;
  const id = (value as Record<string, unknown>)[link.field];
  return typeof id === 'string' ? id : undefined;
}

export interface RecordWithLog<T> {
  record?: Versioned<T>;
  log?: LogInfo;
  events: TaskEvent[];
}

/** A lease that must be held by `owner` for a write to happen (see `append`). */
export interface Fence {
  lease: string;
  owner: string;
}

export interface Versioned<T> {
  value: T;
  version: number;
}

export interface PutOptions {
  ifVersion?: number;
  ttlSeconds?: number;
}

export interface IndexPage {
  offset: number;
  limit: number;
  reverse?: boolean;
}

export interface Subscription {
  /** Stops delivery; safe to call more than once. */
  close(): void;
  /** Settles when the subscription fails (store error); never rejects. */
  readonly failed: Promise<Error>;
}

export class LogMissingError extends Error {
  constructor(readonly logId: string) {
    super(`event log ${logId} does not exist`);
    this.name = 'LogMissingError';
  }
}

export class LogClosedError extends Error {
  constructor(readonly logId: string) {
    super(`event log ${logId} is closed`);
    this.name = 'LogClosedError';
  }
}

/** A fenced write whose lease had passed to someone else, or lapsed: the writer must stop. */
export class FenceLostError extends Error {
  constructor(readonly fence: Fence) {
    super(`lease ${fence.lease} is no longer held by ${fence.owner}`);
    this.name = 'FenceLostError';
  }
}

/**
 * The backing store did not answer in time or could not be reached. Callers
 * answer "unavailable, try again" (503); `cause` holds the driver's error for
 * the logs, never for clients.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}
