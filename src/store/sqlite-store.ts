import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import type { EventInput, TaskEvent } from '../engine/events.js';
import { decodeEvent, encodeEventInput, encodeStoredEvent } from './event-codec.js';
import { Fanout } from './fanout.js';
import type { StoreLogger } from './memory-store.js';
import { DATABASE_FILE, openDatabase, transaction } from './sqlite-database.js';
import { LocalSignals } from './local-signals.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { FenceLostError, linkedId, LogClosedError, LogMissingError, StoreUnavailableError } from './store.js';
import type { Fence, IndexPage, Linked, LogInfo, PutOptions, RecordLink, RecordWithLog, Store, Subscription, Versioned } from './store.js';

export interface SqliteStoreOptions {
  /** Where `switchboard.db` lives; created when missing. */
  dataDir: string;
  logger?: StoreLogger;
  /** How often expired rows are deleted even when nobody reads them. */
  sweepMs?: number;
}

interface LogRow {
  epoch: string;
  next: number;
  closed: number;
  first: number | null;
}

const SWEEP_MS = 30_000;

/**
 * The embedded durable store: one SQLite file under `data_dir`, written
 * through before every call returns (see `openDatabase` for what survives
 * what). It serves one gateway process, which holds the file locked, so
 * `publish` and live subscriptions stay inside this process, as with the
 * memory store.
 *
 * The connection is synchronous and this process's alone: no other call can
 * run between the statements of one method, and the methods that write more
 * than once do it in one transaction, so each call is one atomic step.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly fanout: Fanout;
  private readonly signals: LocalSignals;
  private readonly statements: Statements;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly db: DatabaseSync,
    private readonly options: SqliteStoreOptions,
  ) {
    this.statements = prepareStatements(db);
    this.signals = new LocalSignals('sqlite store', options.logger);
    this.fanout = new Fanout(
      (logId, from, limit) => this.read(logId, from, limit),
      // Appends are in this process: live notification needs no setup.
      { watch: async () => {}, unwatch: () => {} },
    );
    this.sweeper = setInterval(() => this.sweep(), options.sweepMs ?? SWEEP_MS);
    this.sweeper.unref();
  }

  /** Opens (or creates) the database in `dataDir`; refuses when another process holds it. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const store = new SqliteStore(openDatabase(options.dataDir), options);
    // Whatever expired while the process was down goes now.
    store.sweep();
    options.logger?.info(
      `sqlite store: ${DATABASE_FILE} in ${options.dataDir}, locked by this process; ` +
        'one gateway instance only (use the Redis store for several)',
    );
    return store;
  }

  // ---- records -------------------------------------------------------------

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    return this.liveRecord<T>(collection, id, Date.now());
  }

  // Two synchronous reads at one `now`: nothing can write in between.
  async getLinked<A, B>(collection: string, id: string, link: RecordLink): Promise<Linked<A, B>> {
    const now = Date.now();
    const record = this.liveRecord<A>(collection, id, now);
    const linked = record && linkedId(record.value, link);
    return { record, linked: linked === undefined ? undefined : this.liveRecord<B>(link.collection, linked, now) };
  }

  async put<T>(collection: string, id: string, value: T, opts: PutOptions = {}): Promise<boolean> {
    const json = JSON.stringify(value);
    const now = Date.now();
    const expiresAt = opts.ttlSeconds === undefined ? null : now + opts.ttlSeconds * 1000;
    return this.atomically(() => {
      const current = this.sql.getRecord.get(collection, id, now) as { version: number } | undefined;
      // An expired record counts as absent: its version starts over.
      const version = current?.version ?? 0;
      if (opts.ifVersion !== undefined && opts.ifVersion !== version) return false;
      this.sql.putRecord.run(collection, id, json, version + 1, expiresAt);
      return true;
    });
  }

  async delete(collection: string, id: string): Promise<void> {
    this.sql.deleteRecord.run(collection, id);
  }

  async expire(collection: string, id: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    this.sql.expireRecord.run(now + ttlSeconds * 1000, collection, id, now);
  }

  // ---- listings ------------------------------------------------------------

  async indexAdd(list: string, member: string, score: number): Promise<void> {
    this.sql.indexAdd.run(list, member, score);
  }

  async indexRemove(list: string, member: string): Promise<void> {
    this.sql.indexRemove.run(list, member);
  }

  async indexRange(list: string, page: IndexPage): Promise<{ members: string[]; total: number }> {
    const { total } = this.sql.indexCount.get(list) as { total: number };
    const limit = Math.floor(page.limit);
    // SQLite reads a negative LIMIT as "no limit".
    if (limit <= 0 || total === 0) return { members: [], total };
    const statement = page.reverse ? this.sql.indexDescending : this.sql.indexAscending;
    return { members: members(statement.all(list, limit, Math.max(0, Math.floor(page.offset)))), total };
  }

  async indexUpTo(list: string, maxScore: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return members(this.sql.indexUpTo.all(list, maxScore, Math.floor(limit)));
  }

  // ---- event logs ------------------------------------------------------------

  async createLog(logId: string): Promise<string> {
    return this.atomically(() => {
      const log = this.liveLog(logId, Date.now());
      if (log) return log.epoch;
      // An expired log may still have rows the sweep has not reached.
      this.sql.deleteLogEvents.run(logId);
      this.sql.deleteLog.run(logId);
      const epoch = randomUUID();
      this.sql.insertLog.run(logId, epoch);
      return epoch;
    });
  }

  async logInfo(logId: string): Promise<LogInfo | undefined> {
    return infoOf(this.liveLog(logId, Date.now()));
  }

  async append(logId: string, event: EventInput, cap: number, fence?: Fence): Promise<TaskEvent> {
    return this.write(logId, [event], cap, fence, false)![0]!;
  }

  async closeLog(logId: string, events: EventInput[], cap: number, fence?: Fence): Promise<TaskEvent[] | undefined> {
    return this.write(logId, events, cap, fence, true);
  }

  async read(logId: string, from: number, limit: number): Promise<TaskEvent[]> {
    return this.liveEvents(logId, from, limit, Date.now());
  }

  // Synchronous statements on this process's own connection: nothing can write in between.
  async getWithLog<T>(collection: string, id: string, logId: string, from: number, limit: number): Promise<RecordWithLog<T>> {
    const now = Date.now();
    const log = infoOf(this.liveLog(logId, now));
    return { record: this.liveRecord<T>(collection, id, now), log, events: log ? this.liveEvents(logId, from, limit, now) : [] };
  }

  subscribe(logId: string, from: number, onEvent: (event: TaskEvent) => void | Promise<void>): Subscription {
    return this.fanout.subscribe(logId, from, onEvent);
  }

  async expireLog(logId: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    this.sql.expireLog.run(now + ttlSeconds * 1000, logId, now);
  }

  // ---- leases ----------------------------------------------------------------

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.sql.acquire.run(name, owner, now + ttlMs, now).changes === 1;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.sql.renew.run(now + ttlMs, name, owner, now).changes === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    this.sql.release.run(name, owner);
  }

  async holder(name: string): Promise<string | undefined> {
    return this.liveHolder(name, Date.now());
  }

  // ---- signals ---------------------------------------------------------------

  async publish(channel: string, message: string): Promise<void> {
    this.signals.publish(channel, message);
  }

  listen(channel: string, onMessage: (message: string) => void): () => void {
    return this.signals.listen(channel, onMessage);
  }

  // ---- lifecycle -------------------------------------------------------------

  async dataEpoch(): Promise<string> {
    const read = () => (this.sql.epoch.get() as { value: string } | undefined)?.value;
    // Read first: the readiness probe asks often, and need not write to do it.
    const existing = read();
    if (existing !== undefined) return existing;
    this.sql.keepEpoch.run(randomUUID());
    return read()!;
  }

  async ping(): Promise<void> {
    this.sql.ping.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.fanout.failAll(new Error('store closed'));
    // Checkpoints the WAL into the database file and frees the lock.
    this.db.close();
  }

  // ---- internals -------------------------------------------------------------

  /** The statements, while the store is open; after `close()` every call fails as unavailable. */
  private get sql(): Statements {
    if (this.closed) throw new StoreUnavailableError(new Error('sqlite store is closed'));
    return this.statements;
  }

  private atomically<T>(fn: () => T): T {
    if (this.closed) throw new StoreUnavailableError(new Error('sqlite store is closed'));
    return transaction(this.db, fn);
  }

  private liveRecord<T>(collection: string, id: string, now: number): Versioned<T> | undefined {
    const row = this.sql.getRecord.get(collection, id, now) as { json: string; version: number } | undefined;
    return row ? { value: JSON.parse(row.json) as T, version: row.version } : undefined;
  }

  private liveEvents(logId: string, from: number, limit: number, now: number): TaskEvent[] {
    if (limit <= 0) return [];
    const rows = this.sql.readEvents.all(logId, Math.max(0, Math.floor(from)), now, Math.floor(limit)) as Array<{ json: string }>;
    return rows.map((row) => decodeEvent(row.json));
  }

  private liveLog(logId: string, now: number): LogRow | undefined {
    return this.sql.getLog.get(logId, now) as LogRow | undefined;
  }

  private liveHolder(name: string, now: number): string | undefined {
    return (this.sql.holder.get(name, now) as { owner: string } | undefined)?.owner;
  }

  /**
   * Appends `events` in one transaction; with `close`, also closes the log,
   * and an already closed log is `undefined` rather than an error. Subscribers
   * hear of the events only once they are committed.
   */
  private write(logId: string, events: EventInput[], cap: number, fence: Fence | undefined, close: boolean): TaskEvent[] | undefined {
    const inputs = events.map(encodeEventInput);
    const now = Date.now();
    const appended = this.atomically(() => {
      const log = this.liveLog(logId, now);
      if (!log) throw new LogMissingError(logId);
      if (log.closed === 1) {
        if (close) return undefined;
        throw new LogClosedError(logId);
      }
      if (fence && this.liveHolder(fence.lease, now) !== fence.owner) throw new FenceLostError(fence);
      let next = log.next;
      const stored = inputs.map((input) => {
        const json = encodeStoredEvent(input, next, now);
        this.sql.insertEvent.run(logId, next++, json);
        return decodeEvent(json);
      });
      this.sql.setNext.run(next, logId);
      this.sql.trimEvents.run(logId, next - Math.max(1, cap));
      if (close) this.sql.closeLog.run(logId);
      return stored;
    });
    for (const event of appended ?? []) this.fanout.deliver(logId, event);
    return appended;
  }

  private sweep(): void {
    if (this.closed) return;
    const now = Date.now();
    try {
      transaction(this.db, () => {
        this.statements.sweepRecords.run(now);
        this.statements.sweepEvents.run(now);
        this.statements.sweepLogs.run(now);
        this.statements.sweepLeases.run(now);
      });
    } catch (error) {
      // A failed sweep only leaves expired rows for the next one: reads skip them anyway.
      this.options.logger?.warn(`sqlite store: sweeping expired rows failed: ${(error as Error).message}`);
    }
  }
}

function infoOf(log: LogRow | undefined): LogInfo | undefined {
  return log ? { epoch: log.epoch, next: log.next, first: log.first ?? log.next, closed: log.closed === 1 } : undefined;
}

function members(rows: unknown[]): string[] {
  return (rows as Array<{ member: string }>).map((row) => row.member);
}
