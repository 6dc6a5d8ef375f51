import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killGatewayProcesses, startGatewayProcess } from '../support/gateway-process.js';

const CLI = 'dist/src/cli/main.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('switchboard CLI', () => {
  afterAll(killGatewayProcesses);

  it('check-config prints the resolved config with secrets masked', () => {
    const result = run(['check-config', 'config/switchboard.yaml']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('config/switchboard.yaml: valid');
    expect(result.stdout).toContain('prefix: /openbee');
    expect(result.stdout).not.toContain('alice-password');
    expect(result.stdout).not.toContain('demo-api-key');
  });

  it('check-config refuses a bad file with the exact path and a non-zero exit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'models: [{name: demo, kind: demo}]',
        'default_model: demo',
        'bootstrap:',
        '  tenants: [{code: t, name: T}]',
        '  users: [{id: a, tenant: t, username: a}, {id: b, tenant: x, username: b}]',
      ].join('\n'),
    );
    const result = run(['check-config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('bootstrap.users[1].tenant: unknown tenant "x"');
  });

  it('serve refuses to start on an invalid config named by SWITCHBOARD_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'models: []\ndefault_model: x\n');
    const result = run(['serve'], { SWITCHBOARD_CONFIG: file });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('models: must NOT have fewer than 1 items');
  });

  it('prints usage for an unknown command', () => {
    const result = run(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('switchboard serve');
  });

  it('serve answers /healthz and /readyz, then stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-cli-data-'));
    const gw = await startGatewayProcess({ env: { SWITCHBOARD_DATA_DIR: dataDir } });
    const health = await fetch(`${gw.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'sqlite' });
    const exited = new Promise<number | null>((resolve) => gw.child.once('exit', resolve));
    gw.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(gw.output()).toContain('shutting down');
    expect(gw.output()).not.toContain('alice-password');
  });
});
