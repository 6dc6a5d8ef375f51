import { argValue, exitWithParent, replyToParent, settledMemory } from './bench-child.js';
import { openBenchStore, storeKind } from './bench-store.js';
import { startIdleStreamServer } from './idle-stream-server.js';

/**
 * Child process: the SSE server whose memory is measured. The clients live in
 * the parent, so their sockets and buffers never count against the server.
 * It answers the parent's requests over IPC:
 * - `stats`: open streams and subscriptions, no GC (cheap, for polling);
 * - `measure`: the same after forced full GCs, plus heap and RSS bytes;
 * - `stop`: closes the server and the store, then exits.
 */

export type IdleStreamRequest = { cmd: 'stats' } | { cmd: 'measure' } | { cmd: 'stop' };

export interface IdleStreamStats {
  streams: number;
  subscriptions: number;
  heapUsed?: number;
  rss?: number;
}

export interface IdleStreamReady {
  port: number;
  /** Quiet logs `idle-0` … `idle-(n-1)`, created before any baseline is taken. */
  logs: number;
}

async function main(): Promise<void> {
  exitWithParent();
  const kind = storeKind(argValue('store'));
  const logs = Number(argValue('logs') ?? '0');
  const store = await openBenchStore(kind, argValue('redis-url'));
  // Every stream follows a task log of its own, as real clients do; the logs
  // exist before the baseline so only what a stream adds is measured.
  for (let i = 0; i < logs; i++) await store.createLog(`idle-${i}`);
  const server = await startIdleStreamServer(store);
  const stats = (): IdleStreamStats => ({ streams: server.hub.size, subscriptions: server.subscriptions() });

  process.on('message', (request: IdleStreamRequest) => {
    void (async () => {
      try {
        if (request.cmd === 'stats') {
          await replyToParent({ ok: true, value: stats() });
        } else if (request.cmd === 'measure') {
          const memory = await settledMemory();
          await replyToParent({ ok: true, value: { ...stats(), heapUsed: memory.heapUsed, rss: memory.rss } });
        } else {
          await server.close();
          await store.close();
          await replyToParent({ ok: true, value: stats() });
          process.disconnect();
        }
      } catch (error) {
        await replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  await replyToParent({ ok: true, value: { port: server.port, logs } satisfies IdleStreamReady });
}

main().catch(async (error: unknown) => {
  await replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
