/**
 * The clocks of one HTTP attempt. They abort the attempt's own signal (which
 * also follows the caller's signal) so undici tears the request down, and
 * record why, so the caller can tell a stall from a cancel.
 */
export type AttemptStop =
  /** No byte arrived for the stall limit. */
  | 'stall'
  /** The whole attempt exceeded its limit. */
  | 'timeout'
  /** The turn is complete; the server just did not close the stream. */
  | 'finished';

export class AttemptTimers {
  /** Aborts on the caller's signal or on any of these clocks. Pass it to the HTTP request. */
  readonly signal: AbortSignal;
  /** Set once one of the clocks stopped the attempt; undefined when the caller aborted. */
  stopped: AttemptStop | undefined;

  private readonly controller = new AbortController();
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly totalTimer: NodeJS.Timeout;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    callerSignal: AbortSignal,
    readonly stallMs: number,
    readonly totalMs: number,
  ) {
    this.signal = AbortSignal.any([callerSignal, this.controller.signal]);
    this.totalTimer = setTimeout(() => this.stop('timeout'), totalMs);
    this.touch();
  }

  /** Data arrived: the stall clock starts over. */
  touch(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.stop('stall'), this.stallMs);
  }

  /** The turn is complete but a trailing chunk may still come: stop as finished after `ms`. */
  finishAfter(ms: number): void {
    this.graceTimer ??= setTimeout(() => this.stop('finished'), ms);
  }

  /** Clears every clock; call when the attempt is over, however it ended. */
  dispose(): void {
    clearTimeout(this.stallTimer);
    clearTimeout(this.totalTimer);
    clearTimeout(this.graceTimer);
  }

  private stop(why: AttemptStop): void {
    if (this.stopped || this.signal.aborted) return;
    this.stopped = why;
    this.dispose();
    this.controller.abort(new Error(`model call stopped: ${why}`));
  }
}
