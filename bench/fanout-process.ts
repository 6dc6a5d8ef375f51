import { argValue, exitWithParent, replyToParent, settledMemory } from './bench-child.js';
import { openBenchStore, storeKind } from './bench-store.js';
import { runFanoutCase, type FanoutCase, type FanoutResult } from './fanout-case.js';

/**
 * Child process: the append + fan-out cases on one store, one after another,
 * with a full GC between them so one case's garbage is not collected on the
 * next case's clock. Sends `FanoutResult[]` to the parent.
 */

/** Events in flight at once (see FanoutCase.window): a busy task streaming tokens, with room to spare. */
const WINDOW = 32;
const TIMEOUT_MS = 45_000;

/**
 * Bounded so no case makes more than 2M subscriber callbacks (a couple of
 * seconds on 2 cores), yet long enough (≥ 0.1 s) that timer noise and GC
 * pauses do not decide the result.
 */
const FANOUT_CASES: readonly Omit<FanoutCase, 'window' | 'timeoutMs'>[] = [
  { subscribers: 1, events: 10_000 },
  { subscribers: 100, events: 10_000 },
  { subscribers: 1_000, events: 2_000 },
];

async function main(): Promise<void> {
  exitWithParent();
  const kind = storeKind(argValue('store'));
  const store = await openBenchStore(kind, argValue('redis-url'));
  try {
    // Warm-up (discarded): JIT-compiles the append and delivery paths and, on
    // Redis, loads the Lua scripts, so the first measured case is not penalised.
    await runFanoutCase(store, 'warmup', { subscribers: 10, events: 2_000, window: WINDOW, timeoutMs: TIMEOUT_MS });
    const results: FanoutResult[] = [];
    for (const c of FANOUT_CASES) {
      await settledMemory();
      console.error(`[bench] fan-out on ${kind}: ${c.subscribers} subscribers × ${c.events} events`);
      results.push(await runFanoutCase(store, `fanout-${c.subscribers}`, { ...c, window: WINDOW, timeoutMs: TIMEOUT_MS }));
    }
    await replyToParent({ ok: true, value: results });
  } finally {
    await store.close();
  }
}

main().then(
  () => process.disconnect?.(),
  async (error: unknown) => {
    await replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
