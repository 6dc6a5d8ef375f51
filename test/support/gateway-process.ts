import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { RawConfig } from './gateway.js';

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL: no shutdown, no flush; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** Environment on top of the test's own (PORT, HOST and LOG_LEVEL are set). */
  env?: Record<string, string>;
  /** Changes the shipped config (written to a file the process is started with); the shipped file as is when absent. */
  configure?: (raw: RawConfig) => void;
}

const started: ChildProcess[] = [];

/** Kills every gateway process a test file started (call from `afterAll`). */
export function killGatewayProcesses(): void {
  for (const child of started.splice(0)) child.kill('SIGKILL');
}

/**
 * The built gateway as its own process, as `npm start` runs it (`dist/`,
 * made by the suite's global setup), on 127.0.0.1 and a free port. Nothing
 * from the test's environment picks its store or config unless `env` says so.
 */
export async function startGatewayProcess(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
  const { SWITCHBOARD_STORE: _store, SWITCHBOARD_CONFIG: _config, ...inherited } = process.env;
  const env: Record<string, string | undefined> = { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...options.env };
  if (options.configure) {
    const raw = parse(readFileSync(join(PACKAGE_ROOT, DEFAULT_CONFIG_PATH), 'utf8')) as RawConfig;
    options.configure(raw);
    const file = join(mkdtempSync(join(tmpdir(), 'sb-config-')), 'switchboard.yaml');
    writeFileSync(file, stringify(raw));
    env.SWITCHBOARD_CONFIG = file;
  }
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const match = /"port":(\d+),"host"/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
  return {
    child,
    port,
    base: `http://127.0.0.1:${port}`,
    output: () => out,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
