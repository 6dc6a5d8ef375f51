import type { TaskEvent } from '../engine/events.js';
import type { Subscription } from './store.js';
import { Subscriber, type LogReader, type SubscriberLimits } from './fanout-subscriber.js';

export type { LogReader } from './fanout-subscriber.js';

/** How a store hears about new events of a log. */
export interface LiveFeed {
  /**
   * Starts live notification for a log that just got its first local
   * subscriber. Resolves once every later append is sure to reach
   * `Fanout.deliver`; subscribers replay from the store only after that, so
   * nothing appended in between is missed. A rejection fails the subscribers.
   */
  watch(logId: string): Promise<void>;
  /** Stops live notification for a log whose last local subscriber left. */
  unwatch(logId: string): void;
}

const DEFAULT_LIMITS: SubscriberLimits = { batch: 500, maxBuffered: 1024 };

interface LogHub {
  readonly subscribers: Set<Subscriber>;
  readonly ready: Promise<void>;
  /** Present from `hold` until the resync read of the log has handed on what it found. */
  resync?: Resync;
}

interface Resync {
  /** Live events that arrived meanwhile: handed on after what the read found. */
  held: TaskEvent[];
  /** The read is under way. */
  reading: boolean;
  /** The feed came back again, or `held` overflowed, while reading: read on to the end once more. */
  again: boolean;
  /** The feed went down again while reading: hold on after this read, until the next `resync`. */
  holdOn: boolean;
}

const holding = (): Resync => ({ held: [], reading: false, again: false, holdOn: false });

/**
 * In-memory fan-out of one instance's subscriptions, shared by both stores:
 * each new event reaches this instance once (`deliver`) and is handed to every
 * local subscriber of its log, so the cost in store traffic and connections
 * does not grow with the number of subscribers.
 */
export class Fanout {
  private readonly hubs = new Map<string, LogHub>();
  private readonly limits: SubscriberLimits;

  constructor(
    private readonly read: LogReader,
    private readonly feed: LiveFeed,
    limits: Partial<SubscriberLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** See `Store.subscribe`. */
  subscribe(logId: string, from: number, onEvent: (event: TaskEvent) => void | Promise<void>): Subscription {
    const subscriber = new Subscriber(logId, from, onEvent, this.read, this.limits, (s) => this.detach(s));
    let hub = this.hubs.get(logId);
    if (!hub) {
      const created: LogHub = { subscribers: new Set(), ready: this.feed.watch(logId) };
      // A failed watch must not poison later subscribers of the same log.
      created.ready.catch(() => {
        if (this.hubs.get(logId) === created) this.hubs.delete(logId);
      });
      this.hubs.set(logId, created);
      hub = created;
    }
    hub.subscribers.add(subscriber);
    hub.ready.then(
      () => subscriber.start(),
      (error: unknown) => subscriber.fail(error instanceof Error ? error : new Error(String(error))),
    );
    return subscriber;
  }

  /** A new event of `logId`: every local subscriber of that log gets it. */
  deliver(logId: string, event: TaskEvent): void {
    const hub = this.hubs.get(logId);
    if (!hub) return;
    if (hub.resync) this.keepHeld(hub.resync, event);
    else for (const subscriber of hub.subscribers) subscriber.push(event);
  }

  /** Logs that currently have local subscribers (and so a live feed). */
  watchedLogs(): string[] {
    return [...this.hubs.keys()];
  }

  /**
   * The live feed is down, so notifications may be lost until `resync`:
   * from now on, live events of every watched log are held instead of handed
   * on, so none can reach a subscriber ahead of the resync read (each would
   * see a gap and read the store for itself).
   */
  hold(): void {
    for (const hub of this.hubs.values()) {
      if (!hub.resync) hub.resync = holding();
      else if (hub.resync.reading) hub.resync.holdOn = true;
    }
  }

  /**
   * The live feed is back (every watched log subscribed again): each watched
   * log is read once, whatever the number of its subscribers, and what the
   * read finds reaches every one of them, then what was held.
   */
  resync(): void {
    for (const [logId, hub] of this.hubs) {
      const resync = (hub.resync ??= holding());
      resync.holdOn = false;
      if (resync.reading) resync.again = true;
      else void this.resyncLog(logId, hub, resync);
    }
  }

  /** Ends every subscription, settling its `failed` with `reason`. */
  failAll(reason: Error): void {
    for (const hub of [...this.hubs.values()]) for (const subscriber of [...hub.subscribers]) subscriber.fail(reason);
  }

  /**
   * Reads the log from the lowest offset any subscriber still owes to its
   * end, and pushes every event to every subscriber, as if it had just been
   * delivered live; the held live events follow, so each subscriber is
   * handed one ordered run and its own rule (take `next`, skip below it,
   * read the store on a gap) gives it every event exactly once. A
   * subscriber further ahead skips what it already has; one that joins
   * meanwhile, or overflows, reads for itself. A failed read fails the
   * subscriptions, as their own failed reads would.
   */
  private async resyncLog(logId: string, hub: LogHub, resync: Resync): Promise<void> {
    resync.reading = true;
    const current = () => this.hubs.get(logId) === hub;
    try {
      // Like the subscribers' own replay, the read must come after the live feed is on.
      await hub.ready;
      let from = Infinity;
      for (const subscriber of hub.subscribers) from = Math.min(from, subscriber.position);
      for (;;) {
        if (!current() || hub.subscribers.size === 0) return;
        const batch = await this.read(logId, from, this.limits.batch);
        for (const event of batch) for (const subscriber of hub.subscribers) subscriber.push(event);
        const last = batch.at(-1);
        if (last) from = last.offset + 1;
        if (batch.length < this.limits.batch && !resync.again) return;
        resync.again = false;
      }
    } catch (error) {
      if (!current()) return;
      const reason = error instanceof Error ? error : new Error(String(error));
      for (const subscriber of [...hub.subscribers]) subscriber.fail(reason);
    } finally {
      for (const event of resync.held) for (const subscriber of hub.subscribers) subscriber.push(event);
      hub.resync = resync.holdOn ? holding() : undefined;
    }
  }

  /** Keeps a live event for after the resync read; past the buffer bound the read (or one more) covers it instead. */
  private keepHeld(resync: Resync, event: TaskEvent): void {
    if (resync.held.length < this.limits.maxBuffered) {
      resync.held.push(event);
      return;
    }
    resync.held = [];
    if (resync.reading) resync.again = true;
  }

  private detach(subscriber: Subscriber): void {
    const hub = this.hubs.get(subscriber.logId);
    if (!hub || !hub.subscribers.delete(subscriber)) return;
    if (hub.subscribers.size === 0) {
      this.hubs.delete(subscriber.logId);
      this.feed.unwatch(subscriber.logId);
    }
  }
}
