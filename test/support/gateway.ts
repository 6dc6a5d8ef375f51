import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startGateway } from '../../src/boot.js';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import type { Gateway } from '../../src/http/gateway.js';
import { silentLogger } from '../../src/log.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

export interface TestGateway {
  gateway: Gateway;
  config: Config;
  /** `http://127.0.0.1:<port>` of the main listener. */
  baseUrl: string;
  stop(): Promise<void>;
}

export type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TestGatewayOptions {
  /** `redis` needs `redisUrl` (from `startRedis()`). */
  store?: 'memory' | 'redis';
  redisUrl?: string;
  /** Data folder (memory snapshot, files); a fresh temp folder by default. */
  dataDir?: string;
  /** Changes the raw config (the shipped default, adapted for tests) before validation. */
  configure?: (raw: RawConfig) => void;
}

/**
 * The real gateway, built from the shipped default config, on 127.0.0.1 and a
 * random port, with quiet logs, short leases and no shutdown grace.
 */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const raw = parse(readFileSync(join(PACKAGE_ROOT, DEFAULT_CONFIG_PATH), 'utf8')) as RawConfig;
  raw.server = { ...raw.server, host: '127.0.0.1', port: 0, heartbeat_ms: 1000, shutdown_grace_ms: 0 };
  raw.store = {
    kind: options.store ?? 'memory',
    url: options.redisUrl ?? 'redis://127.0.0.1:1',
    data_dir: options.dataDir ?? mkdtempSync(join(tmpdir(), 'sb-gw-')),
  };
  raw.engine = { ...raw.engine, lease_ms: 1500 };
  raw.log = { level: 'silent' };
  options.configure?.(raw);
  const config = parseConfig(raw, {});
  const gateway = await startGateway(config, silentLogger);
  return {
    gateway,
    config,
    baseUrl: `http://127.0.0.1:${gateway.port()}`,
    stop: () => gateway.close(),
  };
}
