import { performance } from 'node:perf_hooks';
import type { EventInput, TaskEvent } from '../src/engine/events.js';
import type { Store, Subscription } from '../src/store/store.js';
import { summarize } from './percentiles.js';

export interface FanoutCase {
  subscribers: number;
  events: number;
  /**
   * At most this many events in flight, counted from the append call until
   * the last subscriber got the event. Bounding it by delivery (not by the
   * append promise) keeps the producer from queueing unboundedly ahead of the
   * subscribers, so the latency is that of a loaded but not drowning system.
   */
  window: number;
  timeoutMs: number;
}

export interface FanoutResult {
  subscribers: number;
  events: number;
  window: number;
  seconds: number;
  /** Events appended and delivered to every subscriber, per second of wall time. */
  eventsPerSecond: number;
  /** Subscriber callbacks per second (events × subscribers / seconds). */
  deliveriesPerSecond: number;
  /** Append call → subscriber callback, over every (event, subscriber) pair. */
  p50Ms: number;
  p99Ms: number;
}

/** Far above any case's event count, so trimming never sends a subscriber back to the store. */
const LOG_CAP = 100_000;
/** About one streamed model token chunk: the common event in real logs. */
const PAD = 'the quick brown fox jumps over';

/**
 * Appends `events` events to one fresh log that `subscribers` subscriptions
 * follow and times each delivery. Also checks what the store promises (each
 * event once, in order, to every subscriber) so a fast wrong answer fails.
 */
export async function runFanoutCase(store: Store, logId: string, c: FanoutCase): Promise<FanoutResult> {
  await store.createLog(logId);
  const sentAt = new Float64Array(c.events);
  const owed = new Uint32Array(c.events).fill(c.subscribers);
  const latencies = new Float64Array(c.events * c.subscribers);
  let recorded = 0;
  let complete = 0;
  let primed = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (error: Error): void => {
    failure ??= error;
    signal();
  };
  const waitFor = async (ready: () => boolean, what: string, deadline: number): Promise<void> => {
    while (!ready()) {
      if (failure) throw failure;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`${c.subscribers} subscribers × ${c.events} events on ${store.kind}: timed out waiting for ${what} (${complete} of ${c.events} events fully delivered)`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1_000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (failure) throw failure;
  };

  const subscriptions: Subscription[] = [];
  for (let s = 0; s < c.subscribers; s++) {
    let expected = 0;
    const onEvent = (event: TaskEvent): void => {
      const now = performance.now();
      if (event.type !== 'message.delta') {
        if (++primed === c.subscribers) signal();
        return;
      }
      const seq = Number.parseInt(event.data.text, 10);
      if (seq !== expected) {
        fail(new Error(`subscriber ${s} got event ${seq} but expected ${expected}: the store broke its order/exactly-once promise`));
        return;
      }
      expected = seq + 1;
      latencies[recorded++] = now - (sentAt[seq] ?? now);
      owed[seq] = (owed[seq] ?? 1) - 1;
      if (owed[seq] === 0) {
        complete++;
        signal();
      }
    };
    const subscription = store.subscribe(logId, 0, onEvent);
    void subscription.failed.then(fail);
    subscriptions.push(subscription);
  }

  try {
    const deadline = Date.now() + c.timeoutMs;
    // One unmeasured event first: it reaches every subscriber only once all
    // of them are live (Redis: channel subscribed, replay done), so the
    // measured events never ride the replay path.
    const priming: EventInput = { type: 'message.started', data: { messageId: 'bench', role: 'assistant' } };
    await store.append(logId, priming, LOG_CAP);
    await waitFor(() => primed === c.subscribers, 'every subscriber to go live', deadline);

    const started = performance.now();
    for (let seq = 0; seq < c.events; seq++) {
      await waitFor(() => seq - complete < c.window, 'a free slot in the window', deadline);
      sentAt[seq] = performance.now();
      const event: EventInput = { type: 'message.delta', data: { messageId: 'bench', text: `${seq} ${PAD}` } };
      store.append(logId, event, LOG_CAP).catch(fail);
    }
    await waitFor(() => complete === c.events, 'the last deliveries', deadline);
    const seconds = (performance.now() - started) / 1000;

    const { p50, p99 } = summarize(latencies, recorded);
    return {
      subscribers: c.subscribers,
      events: c.events,
      window: c.window,
      seconds,
      eventsPerSecond: c.events / seconds,
      deliveriesPerSecond: recorded / seconds,
      p50Ms: p50,
      p99Ms: p99,
    };
  } finally {
    for (const subscription of subscriptions) subscription.close();
  }
}
