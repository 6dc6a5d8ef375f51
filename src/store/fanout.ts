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
}

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
    for (const subscriber of hub.subscribers) subscriber.push(event);
  }

  /** Logs that currently have local subscribers (and so a live feed). */
  watchedLogs(): string[] {
    return [...this.hubs.keys()];
  }

  /** After notifications may have been lost: every subscriber re-reads from where it stands. */
  resync(): void {
    for (const hub of this.hubs.values()) for (const subscriber of hub.subscribers) subscriber.resync();
  }

  /** Ends every subscription, settling its `failed` with `reason`. */
  failAll(reason: Error): void {
    for (const hub of [...this.hubs.values()]) for (const subscriber of [...hub.subscribers]) subscriber.fail(reason);
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
