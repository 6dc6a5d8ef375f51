import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway } from '../src/boot.js';
import { loadConfigFile } from '../src/config/load.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { argValue } from './bench-child.js';
import { serveAsChild } from './server-child.js';

/**
 * Child process: the real gateway, built by the project's own factory from
 * bench/config/gateway.yaml, on the memory store or on the bench's Redis.
 * Logs go to stderr, so stdout keeps only the report.
 */

const CONFIG_FILE = join(PACKAGE_ROOT, 'bench', 'config', 'gateway.yaml');

serveAsChild(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  // Only the bench's own variables: nothing from the caller's environment
  // (PORT, REDIS_URL) reaches the measured configuration.
  const config = loadConfigFile(CONFIG_FILE, {
    BENCH_STORE: argValue('store') ?? 'memory',
    BENCH_REDIS_URL: argValue('redis-url') ?? 'redis://127.0.0.1:1',
    BENCH_MODEL_URL: argValue('model-url') ?? 'http://127.0.0.1:1/v1',
    BENCH_DATA_DIR: dataDir,
  });
  const gateway = await startGateway(config, pino({ level: config.log.level }, pino.destination(2)));
  return {
    port: gateway.port(),
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
