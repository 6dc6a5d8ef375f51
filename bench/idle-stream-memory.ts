import { BenchChild } from './bench-child.js';
import type { StoreKind } from './bench-store.js';
import type { IdleStreamReady, IdleStreamRequest, IdleStreamStats } from './idle-stream-process.js';
import { commandsDuring, connectedClients } from './redis-probe.js';
import { IdleSseClients } from './sse-clients.js';

export interface IdleStreamResult {
  store: StoreKind;
  streams: number;
  /** Heap growth per open idle stream, after forced GC, KiB. */
  heapKiBPerStream: number;
  /** Resident set growth per open idle stream, KiB (includes socket buffers and native memory). */
  rssKiBPerStream: number;
  /** Heap left above the baseline once every client hung up, KiB in total (leak check). */
  heapLeftAfterCloseKiB: number;
  /** Redis connections the server held with all streams open; `undefined` for the memory store. */
  redisConnections: number | undefined;
  /** Redis commands run in one second with every stream open and idle (should be 0); `undefined` for memory. */
  redisIdleCommands: number | undefined;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Parent side of the idle-stream measurement: starts the server child, opens
 * and closes all `streams` once as a warm-up (so JIT code, Node's HTTP parser
 * free list and grown hash tables are already in the baseline: the figure is
 * the steady-state cost of a stream, not a first-time cost), takes the
 * baseline, opens the streams again, measures, hangs up, and measures again:
 * heap still held then would be a per-stream leak.
 */
export async function measureIdleStreams(store: StoreKind, streams: number, redisUrl: string): Promise<IdleStreamResult> {
  const child = new BenchChild('idle-stream-process.js', ['--store', store, '--redis-url', redisUrl, '--logs', String(streams)]);
  const clients = new IdleSseClients();
  const ask = <T>(request: IdleStreamRequest, what: string): Promise<T> => child.request<T>(request, REQUEST_TIMEOUT_MS, what);
  try {
    const { port } = await child.next<IdleStreamReady>(REQUEST_TIMEOUT_MS, 'the idle-stream server to start');
    const paths = Array.from({ length: streams }, (_, i) => `/logs/idle-${i}/events`);

    await clients.open(port, paths);
    clients.closeAll();
    await untilServer(ask, (s) => s.streams === 0 && s.subscriptions === 0, 'warm-up streams to close');
    const baseline = await ask<IdleStreamStats>({ cmd: 'measure' }, 'the baseline');

    await clients.open(port, paths);
    await untilServer(ask, (s) => s.streams === streams && s.subscriptions === streams, `${streams} streams to open`);
    // Let the empty replays and (Redis) channel subscriptions finish before measuring.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const loaded = await ask<IdleStreamStats>({ cmd: 'measure' }, 'the loaded measurement');
    const redisConnections = store === 'redis' ? await connectedClients(redisUrl) : undefined;
    const redisIdleCommands = store === 'redis' ? await commandsDuring(redisUrl, 1_000) : undefined;

    clients.closeAll();
    await untilServer(ask, (s) => s.streams === 0 && s.subscriptions === 0, 'every stream to close');
    const after = await ask<IdleStreamStats>({ cmd: 'measure' }, 'the after-close measurement');
    await ask({ cmd: 'stop' }, 'the server to stop');

    const kib = (bytes: number): number => bytes / 1024;
    return {
      store,
      streams,
      heapKiBPerStream: kib((loaded.heapUsed ?? 0) - (baseline.heapUsed ?? 0)) / streams,
      rssKiBPerStream: kib((loaded.rss ?? 0) - (baseline.rss ?? 0)) / streams,
      heapLeftAfterCloseKiB: kib((after.heapUsed ?? 0) - (baseline.heapUsed ?? 0)),
      redisConnections,
      redisIdleCommands,
    };
  } finally {
    clients.closeAll();
    await child.stop();
  }
}

async function untilServer(
  ask: (request: IdleStreamRequest, what: string) => Promise<IdleStreamStats>,
  done: (stats: IdleStreamStats) => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + REQUEST_TIMEOUT_MS;
  for (;;) {
    const stats = await ask({ cmd: 'stats' }, what);
    if (done(stats)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: server has ${stats.streams} streams, ${stats.subscriptions} subscriptions`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
