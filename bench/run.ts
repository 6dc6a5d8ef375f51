import { performance } from 'node:perf_hooks';
import { startRedis } from '../test/support/redis-server.js';
import { argValue } from './bench-child.js';
import { fanoutFigures } from './fanout-case.js';
import { figureTable, runList, type Figure } from './figures.js';
import { idleFigures, MOST_STREAMS } from './idle-case.js';
import { machineFacts } from './machine-facts.js';
import { formatNumber } from './markdown-table.js';
import { startModelServer } from './model-server.js';
import { pollFigures } from './poll-case.js';
import { redisVersion } from './redis-probe.js';
import { replayFigures } from './replay-case.js';
import { SseClients } from './sse-clients.js';

/**
 * `npm run bench`: the real gateway, in child processes of its own, against
 * a bare floor doing the same work, on 127.0.0.1. This process orchestrates:
 * it runs the throwaway redis-server and the local model server, drives the
 * load (autocannon) and prints the report: Markdown on stdout, progress on
 * stderr. The SSE clients have a process of their own.
 */

/** Sockets a process needs besides its streams: listeners, Redis, the model server, IPC. */
const SPARE_FILES = 500;

async function main(): Promise<void> {
  const started = performance.now();
  // Ctrl-C becomes a normal exit, so the exit hooks kill redis-server; children follow their IPC channel.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const facts = machineFacts();
  if (facts.openFiles < MOST_STREAMS + SPARE_FILES) {
    throw new Error(`ulimit -n is ${facts.openFiles}: ${MOST_STREAMS} streams need ${MOST_STREAMS + SPARE_FILES} open files in the gateway and in the client process`);
  }

  console.error('[bench] starting a throwaway redis-server and a local model server on 127.0.0.1');
  const redis = await startRedis();
  const model = await startModelServer();
  const clients = new SseClients();
  const figures: Figure[] = [];
  let version: string;
  try {
    version = await redisVersion(redis.url);
    const cases = [
      ['authenticated poll', () => pollFigures(model, redis.url)],
      ['fan-out', () => fanoutFigures(model, redis.url, clients)],
      ['idle streams', () => idleFigures(model, redis.url, clients)],
      ['resume replay', () => replayFigures(model, redis.url, clients)],
    ] as const;
    // `npm run bench -- --only poll` (any part of a case's name) runs that case alone.
    const only = argValue('only');
    for (const [name, run] of cases) {
      if (only && !name.includes(only)) continue;
      const caseStarted = performance.now();
      figures.push(...(await run()));
      console.error(`[bench] ${name}: done in ${formatNumber((performance.now() - caseStarted) / 1000)} s`);
    }
  } finally {
    await clients.stop();
    await model.close();
    await redis.stop();
  }

  const seconds = (performance.now() - started) / 1000;
  const report = [
    '## Machine',
    '',
    `- node ${facts.node}, ${facts.os}`,
    `- CPU: ${facts.cpuModel}, ${facts.cores} cores available, ${facts.memoryGiB} GiB RAM`,
    `- open files per process (ulimit -n): ${formatNumber(facts.openFiles)}; ${formatNumber(MOST_STREAMS)} streams take as many sockets in the gateway and in the client process, each its own process`,
    `- redis-server ${version} (throwaway, 127.0.0.1, --save '' --appendonly no)`,
    `- whole measuring run: ${formatNumber(seconds)} s`,
    '',
    '## Gateway against its floor',
    '',
    'Medians of interleaved runs; ratio = gateway ÷ floor.',
    '',
    figureTable(figures),
    '',
    '### Every run',
    '',
    runList(figures),
  ];
  console.log(report.join('\n'));
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
