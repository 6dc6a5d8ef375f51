import { EngineError } from './errors.js';

/**
 * Counts what each user holds open in this process (streams, uploads being
 * stored) against one limit. Places are taken before any work starts and
 * given back exactly once, whatever ends the work; a user with nothing open
 * costs no memory.
 */
export class UserGauge {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly limit: number,
    /** What is counted, for the refusal: "open streams", "uploads in progress". */
    private readonly what: string,
  ) {}

  /** Takes a place for `owner` or refuses with `rate_limited`; returns the release (safe to call twice). */
  take(owner: string): () => void {
    const count = this.held.get(owner) ?? 0;
    if (count >= this.limit) {
      throw new EngineError('rate_limited', `too many ${this.what} (at most ${this.limit} per user); try again when one has ended`, {
        limit: this.limit,
      });
    }
    this.held.set(owner, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(owner) ?? 1) - 1;
      if (left > 0) this.held.set(owner, left);
      else this.held.delete(owner);
    };
  }

  /** What `owner` holds now. */
  count(owner: string): number {
    return this.held.get(owner) ?? 0;
  }
}
