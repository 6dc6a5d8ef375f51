import type { StoreLogger } from './memory-store.js';

/**
 * `publish`/`listen` for a store that serves one process: there is no other
 * instance to reach, so a message goes straight to this process's listeners.
 */
export class LocalSignals {
  private readonly listeners = new Map<string, Set<(message: string) => void>>();

  constructor(
    private readonly name: string,
    private readonly logger?: StoreLogger,
  ) {}

  publish(channel: string, message: string): void {
    const listeners = this.listeners.get(channel);
    if (!listeners) return;
    // Delivered later, to the listeners present now, as a Redis PUBLISH would be.
    for (const listener of [...listeners]) {
      queueMicrotask(() => {
        try {
          listener(message);
        } catch (error) {
          this.logger?.warn(`${this.name}: listener on ${channel} threw: ${(error as Error).message}`);
        }
      });
    }
  }

  listen(channel: string, onMessage: (message: string) => void): () => void {
    // Wrapped so one function may listen twice and stop each listening separately.
    const listener = (message: string): void => onMessage(message);
    let listeners = this.listeners.get(channel);
    if (!listeners) this.listeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(channel) === listeners) this.listeners.delete(channel);
    };
  }
}
