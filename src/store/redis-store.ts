import { randomUUID } from 'node:crypto';
import { Redis, type ChainableCommander } from 'ioredis';
import type { EventInput, TaskEvent } from '../engine/events.js';
import { decodeEvent, encodeEventInput } from './event-codec.js';
import { Fanout } from './fanout.js';
import type { StoreLogger } from './memory-store.js';
import { ChannelMux } from './redis-channels.js';
import { redisScore, RedisKeys, streamIdFrom } from './redis-keys.js';
import { eventsOf, logInfoOf, results, versioned, type LogInfoReplies, type RecordReply, type StreamEntry } from './redis-replies.js';
import { APPEND, CLOSE_LOG, CREATE_LOG, GET_LINKED, PUT_RECORD, RELEASE_LEASE, RENEW_LEASE } from './redis-scripts.js';
import { failFastOptions, guardEveryCall } from './redis-outage.js';
import { FenceLostError, LogClosedError, LogMissingError } from './store.js';
import type { Fence, IndexPage, Linked, LogInfo, PutOptions, RecordLink, RecordWithLog, Store, Subscription, Versioned } from './store.js';

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` */
  url: string;
  /** Put before every key and channel; default `sb:`. Lets several deployments share one server. */
  keyPrefix?: string;
  logger?: StoreLogger;
  /** Most time a command may wait for Redis (sent or queued) before the call fails with `StoreUnavailableError`; default 3000. */
  commandTimeoutMs?: number;
}

/** How long `ping()` waits for an answer before calling the store unreachable (a shorter command timeout ends it first). */
const PING_TIMEOUT_MS = 5_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;


/**
 * The durable, shared store. Each instance holds exactly two connections
 * whatever it serves: `cmd` for commands and `sub` for pub/sub. Live events
 * arrive once per instance on their log's channel (the append script
 * publishes the event itself) and are fanned out in memory to the local
 * subscribers; a subscriber that finds a gap reads it from the log's stream.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly keys: RedisKeys;
  private readonly mux: ChannelMux;
  private readonly fanout: Fanout;
  /** The handler each watched log's channel was joined with, to leave it again. */
  private readonly liveHandlers = new Map<string, (message: string) => void>();
  private closed = false;

  constructor(private readonly options: RedisStoreOptions) {
    const name = 'switchboard';
    const failFast = failFastOptions(options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    this.cmd = new Redis(options.url, { ...failFast, connectionName: `${name}:cmd`, enableAutoPipelining: true });
    // Re-subscribing after a reconnect is ours (`watchReconnects`), with its errors handled.
    this.sub = new Redis(options.url, { ...failFast, connectionName: `${name}:sub`, autoResubscribe: false });
    this.keys = new RedisKeys(options.keyPrefix ?? 'sb:');
    for (const [role, conn] of [['command', this.cmd], ['subscriber', this.sub]] as const) {
      conn.on('error', (error: Error) => this.options.logger?.warn(`redis store ${role} connection: ${error.message}`));
    }
    this.mux = new ChannelMux(this.sub, (channel, error) =>
      this.options.logger?.warn(`redis store: listener on ${channel} threw: ${(error as Error).message}`),
    );
    this.fanout = new Fanout((logId, from, limit) => this.read(logId, from, limit), {
      watch: (logId) => this.watchLog(logId),
      unwatch: (logId) => this.unwatchLog(logId),
    });
    this.watchReconnects();
    // Last: every method, including those the fanout calls back, fails an outage as `StoreUnavailableError`.
    guardEveryCall(this);
  }

  // ---- records -------------------------------------------------------------

  async get<T>(collection: string, id: string): Promise<Versioned<T> | undefined> {
    return versioned<T>(await this.cmd.hmget(this.keys.record(collection, id), 'v', 'd'));
  }

  async getLinked<A, B>(collection: string, id: string, link: RecordLink): Promise<Linked<A, B>> {
    const args = [link.field, ...this.keys.recordAround(link.collection)];
    const reply = (await GET_LINKED.run(this.cmd, [this.keys.record(collection, id)], args)) as RecordReply;
    return { record: versioned<A>(reply.slice(0, 2)), linked: versioned<B>(reply.slice(2)) };
  }

  async put<T>(collection: string, id: string, value: T, opts: PutOptions = {}): Promise<boolean> {
    const ttl = opts.ttlSeconds === undefined ? '' : Math.ceil(opts.ttlSeconds * 1000);
    const ifVersion = opts.ifVersion === undefined ? '' : opts.ifVersion;
    const done = await PUT_RECORD.run(this.cmd, [this.keys.record(collection, id)], [JSON.stringify(value), ifVersion, ttl]);
    return done === 1;
  }

  async delete(collection: string, id: string): Promise<void> {
    await this.cmd.del(this.keys.record(collection, id));
  }

  async expire(collection: string, id: string, ttlSeconds: number): Promise<void> {
    await this.cmd.pexpire(this.keys.record(collection, id), Math.ceil(ttlSeconds * 1000));
  }

  // ---- listings ------------------------------------------------------------

  async indexAdd(list: string, member: string, score: number): Promise<void> {
    await this.cmd.zadd(this.keys.listing(list), redisScore(score), member);
  }

  async indexRemove(list: string, member: string): Promise<void> {
    await this.cmd.zrem(this.keys.listing(list), member);
  }

  async indexRange(list: string, page: IndexPage): Promise<{ members: string[]; total: number }> {
    const key = this.keys.listing(list);
    // ZRANGE 0 -1 means "everything": an empty page must not reach Redis as one.
    if (page.limit <= 0) return { members: [], total: await this.cmd.zcard(key) };
    const start = Math.max(0, Math.floor(page.offset));
    const stop = String(start + Math.floor(page.limit) - 1);
    const tx = this.cmd.multi();
    if (page.reverse) tx.zrevrange(key, start, stop);
    else tx.zrange(key, start, stop);
    tx.zcard(key);
    const [members, total] = results(await tx.exec()) as [string[], number];
    return { members, total };
  }

  async indexUpTo(list: string, maxScore: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return this.cmd.zrangebyscore(this.keys.listing(list), '-inf', redisScore(maxScore), 'LIMIT', 0, Math.floor(limit));
  }

  // ---- event logs ------------------------------------------------------------

  async createLog(logId: string): Promise<string> {
    const keys = [this.keys.logMeta(logId), this.keys.logStream(logId)];
    return String(await CREATE_LOG.run(this.cmd, keys, [randomUUID()]));
  }

  async logInfo(logId: string): Promise<LogInfo | undefined> {
    const tx = this.cmd.multi();
    this.queueLogInfo(tx, logId);
    const [meta, oldest] = results(await tx.exec()) as LogInfoReplies;
    return logInfoOf(meta, oldest);
  }

  async append(logId: string, event: EventInput, cap: number, fence?: Fence): Promise<TaskEvent> {
    const reply = await APPEND.run(this.cmd, this.logWriteKeys(logId, fence), [...this.logWriteArgs(logId, cap, fence), encodeEventInput(event)]);
    return decodeEvent(this.written(reply, logId, fence) as string);
  }

  async closeLog(logId: string, events: EventInput[], cap: number, fence?: Fence): Promise<TaskEvent[] | undefined> {
    const args = [...this.logWriteArgs(logId, cap, fence), ...events.map(encodeEventInput)];
    const reply = await CLOSE_LOG.run(this.cmd, this.logWriteKeys(logId, fence), args);
    if (reply === 'closed') return undefined;
    return (this.written(reply, logId, fence) as string[]).map(decodeEvent);
  }

  async read(logId: string, from: number, limit: number): Promise<TaskEvent[]> {
    if (limit <= 0) return [];
    return eventsOf((await this.cmd.xrange(...this.pageArgs(logId, from, limit))) as StreamEntry[]);
  }

  /** One MULTI/EXEC: the record, the log's meta and oldest entry, and the page. */
  async getWithLog<T>(collection: string, id: string, logId: string, from: number, limit: number): Promise<RecordWithLog<T>> {
    const tx = this.cmd.multi();
    tx.hmget(this.keys.record(collection, id), 'v', 'd');
    this.queueLogInfo(tx, logId);
    if (limit > 0) tx.xrange(...this.pageArgs(logId, from, limit));
    const [record, meta, oldest, entries = []] = results(await tx.exec()) as [RecordReply, ...LogInfoReplies, StreamEntry[]?];
    const log = logInfoOf(meta, oldest);
    return { record: versioned<T>(record), log, events: log ? eventsOf(entries) : [] };
  }

  /** Catch-up reads go through `read`, and a failed live feed fails the subscription (`failed`). */
  subscribe(logId: string, from: number, onEvent: (event: TaskEvent) => void | Promise<void>): Subscription {
    return this.fanout.subscribe(logId, from, onEvent);
  }

  async expireLog(logId: string, ttlSeconds: number): Promise<void> {
    const ms = Math.ceil(ttlSeconds * 1000);
    const tx = this.cmd.multi();
    tx.pexpire(this.keys.logMeta(logId), ms);
    tx.pexpire(this.keys.logStream(logId), ms);
    results(await tx.exec());
  }

  // ---- leases ----------------------------------------------------------------

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ms = leaseMs(ttlMs);
    if ((await this.cmd.set(this.keys.lease(name), owner, 'PX', ms, 'NX')) === 'OK') return true;
    // Taken: still ours when we already hold it, and then extended.
    return this.renew(name, owner, ms);
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await RENEW_LEASE.run(this.cmd, [this.keys.lease(name)], [owner, leaseMs(ttlMs)])) === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await RELEASE_LEASE.run(this.cmd, [this.keys.lease(name)], [owner]);
  }

  async holder(name: string): Promise<string | undefined> {
    return (await this.cmd.get(this.keys.lease(name))) ?? undefined;
  }

  // ---- signals ---------------------------------------------------------------

  async publish(channel: string, message: string): Promise<void> {
    const key = this.keys.signal(channel);
    // PUBLISH goes out on `cmd`, SUBSCRIBE on `sub`: a listener this instance
    // added to this very channel just before would miss the message if its
    // SUBSCRIBE were still in flight. That one is waited for; the SUBSCRIBEs
    // of other channels (every stream's log, say) cannot matter here.
    await this.mux.subscribed(key);
    await this.cmd.publish(key, message);
  }

  listen(channel: string, onMessage: (message: string) => void): () => void {
    const key = this.keys.signal(channel);
    const handler = (message: string): void => onMessage(message);
    this.mux.add(key, handler).catch((error: Error) => this.options.logger?.warn(`redis store: cannot listen on ${channel}: ${error.message}`));
    return () => this.mux.remove(key, handler);
  }

  // ---- lifecycle -------------------------------------------------------------

  async dataEpoch(): Promise<string> {
    // One key, written only when absent: a server that lost its data gets a new one from the first caller.
    const key = `${this.keys.prefix}epoch`;
    const [, epoch] = results(await this.cmd.multi().set(key, randomUUID(), 'NX').get(key).exec()) as [unknown, string];
    return epoch;
  }

  async ping(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.cmd.ping(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fanout.failAll(new Error('store closed'));
    await Promise.all([this.cmd, this.sub].map(quit));
  }

  // ---- internals -------------------------------------------------------------

  /** Queues what `logInfoOf` reads: the meta hash and the oldest entry kept. */
  private queueLogInfo(tx: ChainableCommander, logId: string): void {
    tx.hmget(this.keys.logMeta(logId), 'epoch', 'next', 'closed');
    tx.xrange(this.keys.logStream(logId), '-', '+', 'COUNT', 1);
  }

  /** XRANGE arguments of a page: entries from offset `from`, at most `limit` (> 0). */
  private pageArgs(logId: string, from: number, limit: number): [string, string, string, 'COUNT', number] {
    return [this.keys.logStream(logId), streamIdFrom(Math.max(0, Math.floor(from))), '+', 'COUNT', Math.floor(limit)];
  }

  private logWriteKeys(logId: string, fence: Fence | undefined): string[] {
    const keys = [this.keys.logMeta(logId), this.keys.logStream(logId)];
    return fence ? [...keys, this.keys.lease(fence.lease)] : keys;
  }

  private logWriteArgs(logId: string, cap: number, fence: Fence | undefined): Array<string | number> {
    return [Math.max(1, Math.floor(cap)), this.keys.logChannel(logId), fence?.owner ?? ''];
  }

  /** A log-writing script's reply, or the error its refusal means. */
  private written(reply: unknown, logId: string, fence: Fence | undefined): unknown {
    if (reply === null || reply === undefined) throw new LogMissingError(logId);
    if (reply === 'closed') throw new LogClosedError(logId);
    if (reply === 'fence') throw new FenceLostError(fence!);
    return reply;
  }

  private watchLog(logId: string): Promise<void> {
    const handler = (message: string): void => {
      let event: TaskEvent;
      try {
        event = decodeEvent(message);
      } catch (error) {
        this.options.logger?.warn(`redis store: unreadable event on log ${logId}: ${(error as Error).message}`);
        return;
      }
      this.fanout.deliver(logId, event);
    };
    this.liveHandlers.set(logId, handler);
    return this.mux.add(this.keys.logChannel(logId), handler);
  }

  private unwatchLog(logId: string): void {
    const handler = this.liveHandlers.get(logId);
    if (!handler) return;
    this.liveHandlers.delete(logId);
    this.mux.remove(this.keys.logChannel(logId), handler);
  }

  /**
   * Pub/sub drops whatever is published while the subscriber connection is
   * down. After a reconnect, once every channel is subscribed again, each
   * watched log is read once from where its furthest-behind subscriber
   * stands and the events reach all its subscribers, so a task that finished
   * meanwhile still reaches its end. Live events are held from before the
   * first SUBSCRIBE goes out until that read is handed on: one that came
   * first would send every subscriber of its log to the store on its own.
   * When Redis does not confirm in time, the connection is dropped and the
   * next reconnect tries again.
   */
  private watchReconnects(): void {
    let connectedBefore = false;
    this.sub.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      this.fanout.hold();
      this.mux.resubscribe().then(
        () => this.fanout.resync(),
        (error: Error) => {
          this.options.logger?.warn(`redis store: cannot subscribe again after a reconnect: ${error.message}`);
          if (!this.closed) this.sub.disconnect(true);
        },
      );
    });
  }
}

function leaseMs(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'end') return;
  try {
    if (conn.status === 'ready') {
      await conn.quit();
      return;
    }
  } catch {
    // Fall through: a connection that cannot say goodbye is just dropped.
  }
  conn.disconnect();
}
