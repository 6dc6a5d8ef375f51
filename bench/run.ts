import { performance } from 'node:perf_hooks';
import { BenchChild } from './bench-child.js';
import type { StoreKind } from './bench-store.js';
import type { FanoutResult } from './fanout-case.js';
import { measureIdleStreams, type IdleStreamResult } from './idle-stream-memory.js';
import { machineFacts } from './machine-facts.js';
import { formatNumber, markdownTable } from './markdown-table.js';
import { redisVersion } from './redis-probe.js';
import { startRedis } from '../test/support/redis-server.js';

/**
 * `npm run bench`: both stores side by side in one run, on a throwaway
 * Redis. Each measurement runs in a child process (see BenchChild); this
 * process only orchestrates, plays the SSE clients, and prints the report
 * (Markdown on stdout, progress on stderr).
 */

const STORES: readonly StoreKind[] = ['memory', 'redis'];
const IDLE_STREAMS = 1_000;
const FANOUT_TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const started = performance.now();
  // Ctrl-C becomes a normal exit, so the exit hooks kill redis-server; children follow their IPC channel.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

  console.error('[bench] starting a throwaway redis-server on 127.0.0.1');
  const redis = await startRedis();
  const fanout: (FanoutResult & { store: StoreKind })[] = [];
  const idle: IdleStreamResult[] = [];
  let version: string;
  try {
    version = await redisVersion(redis.url);
    for (const store of STORES) {
      const child = new BenchChild('fanout-process.js', ['--store', store, '--redis-url', redis.url]);
      try {
        const results = await child.next<FanoutResult[]>(FANOUT_TIMEOUT_MS, `fan-out cases on the ${store} store`);
        fanout.push(...results.map((r) => ({ ...r, store })));
      } finally {
        await child.stop();
      }
    }
    for (const store of STORES) {
      console.error(`[bench] ${IDLE_STREAMS} idle SSE streams on ${store}`);
      idle.push(await measureIdleStreams(store, IDLE_STREAMS, redis.url));
    }
  } finally {
    await redis.stop();
  }

  const facts = machineFacts();
  const seconds = (performance.now() - started) / 1000;
  const report = [
    '## Machine',
    '',
    `- node ${facts.node}, ${facts.os}`,
    `- CPU: ${facts.cpuModel}, ${facts.cores} cores available, ${facts.memoryGiB} GiB RAM`,
    `- redis-server ${version} (throwaway, 127.0.0.1, --save '' --appendonly no)`,
    `- whole run: ${formatNumber(seconds)} s`,
    '',
    `## Event append + fan-out (one task log, store.subscribe, window ${fanout[0]?.window ?? '?'} events in flight)`,
    '',
    markdownTable(
      ['store', 'subscribers', 'events', 'throughput ev/s', 'p50 ms', 'p99 ms', 'deliveries/s'],
      fanout.map((r) => [r.store, r.subscribers, r.events, r.eventsPerSecond, r.p50Ms, r.p99Ms, r.deliveriesPerSecond]),
    ),
    '',
    `## Memory per idle SSE stream (${IDLE_STREAMS} streams, GC forced)`,
    '',
    markdownTable(
      ['store', 'streams', 'heap KiB/stream', 'RSS KiB/stream', 'heap left after close KiB', 'Redis connections', 'Redis cmds in 1 s idle'],
      idle.map((r) => [
        r.store,
        r.streams,
        r.heapKiBPerStream,
        r.rssKiBPerStream,
        r.heapLeftAfterCloseKiB,
        r.redisConnections ?? 'n/a',
        r.redisIdleCommands ?? 'n/a',
      ]),
    ),
  ];
  console.log(report.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
