import { randomUUID } from 'node:crypto';
import type { EventInput, TaskEvent } from '../engine/events.js';
import { decodeEvent, deepFreeze, encodeEventInput, encodeStoredEvent } from './event-codec.js';
import { Fanout } from './fanout.js';
import { LocalSignals } from './local-signals.js';
import { MemoryLog } from './memory-log.js';
import { emptySnapshot, loadSnapshot, saveSnapshot, encodeScore, decodeScore, type MemorySnapshot } from './snapshot.js';
import { SortedIndex } from './sorted-index.js';
import { FenceLostError, linkedId, LogClosedError, LogMissingError } from './store.js';
import type { Fence, IndexPage, Linked, LogInfo, PutOptions, RecordLink, RecordWithLog, Store, Subscription, Versioned } from './store.js';

export interface StoreLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface MemoryStoreOptions {
  /** Where `memory-store.json` is read at `open()` and written at `close()`; none = nothing persists. */
  dataDir?: string;
  logger?: StoreLogger;
}

interface MemoryRecord {
  /** Values are kept as JSON text, so callers get copies and JSON rules, as with Redis. */
  json: string;
  version: number;
  expiresAt: number | undefined;
}

interface Lease {
  owner: string;
  expiresAt: number;
}

/** How often expired things are swept out even when nobody reads them. */
const SWEEP_MS = 30_000;

/**
 * The embedded store: everything in this process, optionally snapshotted to
 * one JSON file. Meant for a single gateway instance; `publish` and live
 * subscriptions reach only this process. Expiry is checked on every access and
 * swept by an unref'd timer, so a forgotten record does not hold memory forever.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly records = new Map<string, Map<string, MemoryRecord>>();
  private readonly listings = new Map<string, SortedIndex>();
  private readonly logs = new Map<string, MemoryLog>();
  private readonly leases = new Map<string, Lease>();
  private readonly signals: LocalSignals;
  private readonly fanout: Fanout;
  private readonly sweeper: NodeJS.Timeout;
  /** Per process, not in the snapshot: each process holds its own copy of the data, and every boot writes the bootstrap anyway. */
  private readonly epoch = randomUUID();
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions = {}) {
    this.signals = new LocalSignals('memory store', options.logger);
    this.fanout = new Fanout(
      async (logId, from, limit) => this.liveLog(logId)?.read(from, limit) ?? [],
      // Appends are in this process: live notification needs no setup.
      { watch: async () => {}, unwatch: () => {} },
    );
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Creates a store and loads the snapshot in `dataDir` when there is one. */
  static async open(options: MemoryStoreOptions = {}): Promise<MemoryStore> {
    const store = new MemoryStore(options);
    const snapshot = options.dataDir ? await loadSnapshot(options.dataDir) : undefined;
    if (snapshot) store.restore(snapshot);
    options.logger?.info(
      'memory store: state lives in this process only; do not run several instances against it (use the Redis store)',
    );
    return store;
  }

  // ---- records -------------------------------------------------------------

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    return versioned<T>(this.liveRecord(collection, id));
  }

  // Synchronous from start to end: one snapshot.
  async getLinked<A, B>(collection: string, id: string, link: RecordLink): Promise<Linked<A, B>> {
    const record = versioned<A>(this.liveRecord(collection, id));
    const linked = record && linkedId(record.value, link);
    return { record, linked: linked === undefined ? undefined : versioned<B>(this.liveRecord(link.collection, linked)) };
  }

  async put<T>(collection: string, id: string, value: T, opts: PutOptions = {}): Promise<boolean> {
    const current = this.liveRecord(collection, id);
    if (opts.ifVersion !== undefined && opts.ifVersion !== (current?.version ?? 0)) return false;
    let records = this.records.get(collection);
    if (!records) this.records.set(collection, (records = new Map()));
    records.set(id, {
      json: JSON.stringify(value),
      version: (current?.version ?? 0) + 1,
      expiresAt: opts.ttlSeconds === undefined ? undefined : Date.now() + opts.ttlSeconds * 1000,
    });
    return true;
  }

  async delete(collection: string, id: string): Promise<void> {
    const records = this.records.get(collection);
    records?.delete(id);
    if (records?.size === 0) this.records.delete(collection);
  }

  async expire(collection: string, id: string, ttlSeconds: number): Promise<void> {
    const record = this.liveRecord(collection, id);
    if (record) record.expiresAt = Date.now() + ttlSeconds * 1000;
  }

  // ---- listings ------------------------------------------------------------

  async indexAdd(list: string, member: string, score: number): Promise<void> {
    let index = this.listings.get(list);
    if (!index) this.listings.set(list, (index = new SortedIndex()));
    index.add(member, score);
  }

  async indexRemove(list: string, member: string): Promise<void> {
    const index = this.listings.get(list);
    index?.remove(member);
    if (index?.size === 0) this.listings.delete(list);
  }

  async indexRange(list: string, page: IndexPage): Promise<{ members: string[]; total: number }> {
    const index = this.listings.get(list);
    if (!index) return { members: [], total: 0 };
    return { members: index.range(page.offset, page.limit, page.reverse ?? false), total: index.size };
  }

  async indexUpTo(list: string, maxScore: number, limit: number): Promise<string[]> {
    return this.listings.get(list)?.upTo(maxScore, limit) ?? [];
  }

  // ---- event logs ------------------------------------------------------------

  async createLog(logId: string): Promise<string> {
    const existing = this.liveLog(logId);
    if (existing) return existing.epoch;
    const log = new MemoryLog(randomUUID());
    this.logs.set(logId, log);
    return log.epoch;
  }

  async logInfo(logId: string): Promise<LogInfo | undefined> {
    return infoOf(this.liveLog(logId));
  }

  async append(logId: string, event: EventInput, cap: number, fence?: Fence): Promise<TaskEvent> {
    const log = this.openLog(logId);
    if (log.closed) throw new LogClosedError(logId);
    this.checkFence(fence);
    return this.push(logId, log, event, cap);
  }

  // One synchronous step: nothing can interleave between the events, nor after them.
  async closeLog(logId: string, events: EventInput[], cap: number, fence?: Fence): Promise<TaskEvent[] | undefined> {
    const log = this.openLog(logId);
    if (log.closed) return undefined;
    this.checkFence(fence);
    const appended = events.map((event) => this.push(logId, log, event, cap));
    log.closed = true;
    return appended;
  }

  private openLog(logId: string): MemoryLog {
    const log = this.liveLog(logId);
    if (!log) throw new LogMissingError(logId);
    return log;
  }

  private checkFence(fence: Fence | undefined): void {
    if (fence && this.liveLease(fence.lease)?.owner !== fence.owner) throw new FenceLostError(fence);
  }

  private push(logId: string, log: MemoryLog, event: EventInput, cap: number): TaskEvent {
    // Through JSON, like Redis: the stored event shares nothing with the caller's object.
    const stored = decodeEvent(encodeStoredEvent(encodeEventInput(event), log.next, Date.now()));
    log.append(stored, cap);
    this.fanout.deliver(logId, stored);
    return stored;
  }

  async read(logId: string, from: number, limit: number): Promise<TaskEvent[]> {
    return this.liveLog(logId)?.read(from, limit) ?? [];
  }

  // Synchronous from start to end, so nothing can append in between: one snapshot.
  async getWithLog<T>(collection: string, id: string, logId: string, from: number, limit: number): Promise<RecordWithLog<T>> {
    const log = this.liveLog(logId);
    return { record: versioned<T>(this.liveRecord(collection, id)), log: infoOf(log), events: log?.read(from, limit) ?? [] };
  }

  subscribe(logId: string, from: number, onEvent: (event: TaskEvent) => void | Promise<void>): Subscription {
    return this.fanout.subscribe(logId, from, onEvent);
  }

  async expireLog(logId: string, ttlSeconds: number): Promise<void> {
    const log = this.liveLog(logId);
    if (log) log.expiresAt = Date.now() + ttlSeconds * 1000;
  }

  // ---- leases ----------------------------------------------------------------

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.liveLease(name);
    if (lease && lease.owner !== owner) return false;
    this.leases.set(name, { owner, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.liveLease(name);
    if (lease?.owner !== owner) return false;
    lease.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.liveLease(name)?.owner === owner) this.leases.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    return this.liveLease(name)?.owner;
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
    return this.epoch;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('memory store is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.fanout.failAll(new Error('store closed'));
    if (this.options.dataDir) await saveSnapshot(this.options.dataDir, this.snapshot());
  }

  // ---- internals -------------------------------------------------------------

  private liveRecord(collection: string, id: string): MemoryRecord | undefined {
    const record = this.records.get(collection)?.get(id);
    if (record?.expiresAt !== undefined && record.expiresAt <= Date.now()) {
      void this.delete(collection, id);
      return undefined;
    }
    return record;
  }

  private liveLog(logId: string): MemoryLog | undefined {
    const log = this.logs.get(logId);
    if (log?.expiresAt !== undefined && log.expiresAt <= Date.now()) {
      this.logs.delete(logId);
      return undefined;
    }
    return log;
  }

  private liveLease(name: string): Lease | undefined {
    const lease = this.leases.get(name);
    if (lease && lease.expiresAt <= Date.now()) {
      this.leases.delete(name);
      return undefined;
    }
    return lease;
  }

  private sweep(): void {
    for (const [collection, records] of this.records) for (const id of records.keys()) this.liveRecord(collection, id);
    for (const logId of this.logs.keys()) this.liveLog(logId);
    for (const name of this.leases.keys()) this.liveLease(name);
  }

  private snapshot(): MemorySnapshot {
    this.sweep();
    const out = emptySnapshot();
    for (const [collection, records] of this.records) {
      for (const [id, r] of records) {
        out.records.push({ collection, id, version: r.version, value: JSON.parse(r.json), expiresAt: r.expiresAt });
      }
    }
    for (const [list, index] of this.listings) {
      out.listings.push({ list, entries: index.entries().map(([m, s]) => [m, encodeScore(s)]) });
    }
    for (const [id, log] of this.logs) {
      out.logs.push({ id, epoch: log.epoch, next: log.next, events: log.all(), expiresAt: log.expiresAt, closed: log.closed });
    }
    for (const [name, lease] of this.leases) out.leases.push({ name, ...lease });
    return out;
  }

  private restore(snapshot: MemorySnapshot): void {
    for (const r of snapshot.records) {
      let records = this.records.get(r.collection);
      if (!records) this.records.set(r.collection, (records = new Map()));
      records.set(r.id, { json: JSON.stringify(r.value), version: r.version, expiresAt: r.expiresAt });
    }
    for (const { list, entries } of snapshot.listings) {
      const index = new SortedIndex();
      for (const [member, score] of entries) index.add(member, decodeScore(score));
      this.listings.set(list, index);
    }
    for (const l of snapshot.logs) {
      this.logs.set(l.id, MemoryLog.restore(l.epoch, l.next, l.events.map(deepFreeze), l.expiresAt, l.closed));
    }
    for (const { name, owner, expiresAt } of snapshot.leases) this.leases.set(name, { owner, expiresAt });
    // Whatever expired while the process was down goes now.
    this.sweep();
  }
}

function versioned<T>(record: MemoryRecord | undefined): Versioned<T> | undefined {
  return record ? { value: JSON.parse(record.json) as T, version: record.version } : undefined;
}

function infoOf(log: MemoryLog | undefined): LogInfo | undefined {
  return log ? { epoch: log.epoch, next: log.next, first: log.first, closed: log.closed } : undefined;
}
