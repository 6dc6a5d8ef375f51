import type { Redis } from 'ioredis';

type Handler = (message: string) => void;

interface Channel {
  readonly handlers: Set<Handler>;
  /** Settles when the server confirmed the SUBSCRIBE. */
  readonly ready: Promise<void>;
}

/**
 * Shares one subscriber connection between every channel this instance
 * listens on. A channel is subscribed when its first handler arrives and
 * unsubscribed when its last leaves; commands on one connection run in order,
 * so a quick leave-then-join still ends subscribed.
 */
export class ChannelMux {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly sub: Redis,
    private readonly onHandlerError: (channel: string, error: unknown) => void,
  ) {
    sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  /** Adds a handler; resolves once messages published from now on will reach it. */
  add(channel: string, handler: Handler): Promise<void> {
    const existing = this.channels.get(channel);
    if (existing) {
      existing.handlers.add(handler);
      return existing.ready;
    }
    const created: Channel = {
      handlers: new Set([handler]),
      ready: this.sub.subscribe(channel).then(() => undefined),
    };
    created.ready.catch(() => {
      if (this.channels.get(channel) === created) this.channels.delete(channel);
    });
    this.channels.set(channel, created);
    return created.ready;
  }

  remove(channel: string, handler: Handler): void {
    const entry = this.channels.get(channel);
    if (!entry || !entry.handlers.delete(handler) || entry.handlers.size > 0) return;
    this.channels.delete(channel);
    // A failed UNSUBSCRIBE (connection gone) leaves nothing to clean up here.
    this.sub.unsubscribe(channel).catch(() => {});
  }

  /**
   * Subscribes the connection to every channel again, after a reconnect.
   * The store does this instead of ioredis's `autoResubscribe`, whose
   * re-SUBSCRIBE has no handler: one that times out or is dropped with its
   * connection would be an unhandled rejection and end the process.
   * Rejects when the server did not confirm.
   */
  async resubscribe(): Promise<void> {
    const channels = [...this.channels.keys()];
    if (channels.length > 0) await this.sub.subscribe(...channels);
  }

  /**
   * Settles once the SUBSCRIBE of `channel` sent so far, if any, was
   * answered (or failed): one channel's, however many others are in flight.
   */
  async subscribed(channel: string): Promise<void> {
    await this.channels.get(channel)?.ready.catch(() => undefined);
  }

  private dispatch(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const handler of [...entry.handlers]) {
      try {
        handler(message);
      } catch (error) {
        this.onHandlerError(channel, error);
      }
    }
  }
}
