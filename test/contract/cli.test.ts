import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContractCli } from '../../src/contract/index.js';
import { startContractServer, type ContractServer } from './contract-server.js';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runContractCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('switchboard contract', () => {
  let server: ContractServer;
  let dir: string;
  beforeAll(async () => {
    server = await startContractServer();
    dir = await mkdtemp(path.join(tmpdir(), 'contract-cli-'));
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 and prints ✓ lines when every scenario passes', async () => {
    const run = await cli('--base-url', server.baseUrl, 'fixtures/_self/ndjson-stream.yaml', 'fixtures/_self/matchers.yaml');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines).toContain('✓ every matcher against a listing (fixtures/_self/matchers.yaml)');
    expect(lines).toContain('✓ NDJSON stream with heartbeats (fixtures/_self/ndjson-stream.yaml)');
    expect(lines).toContain('  ✓ JSON lines arrive in order and the heartbeat is skipped');
    expect(lines.filter((line) => line !== '').at(-1)).toBe('2 scenario(s): 2 passed, 0 failed');
  });

  it('exits 1 and prints the differences when a scenario fails', async () => {
    const run = await cli(`--base-url=${server.baseUrl}`, 'fixtures/_self/fail-wrong-expectations.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('✗ deliberately wrong expectations');
    expect(run.stdout).toContain('      status: values differ\n        expected: 201\n        actual:   202\n');
    expect(run.stdout).toContain('json.created_at: must be absent');
    expect(run.stdout).toContain('  - never reached (skipped)');
    expect(run.stdout).toContain('1 scenario(s): 0 passed, 1 failed');
  });

  it('--var sets fixture variables', async () => {
    const run = await cli('--base-url', server.baseUrl, '--var', 'apiKey=wrong-key', 'fixtures/_self/task-lifecycle.yaml');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  ✗ exchange the API key for a token');
    expect(run.stdout).toMatch(/ {6}status: values differ\n {8}expected: 200\n {8}actual: {3}401\n/);
  });

  it('exits 2 with the usage on a wrong command line', async () => {
    for (const argv of [[], ['fixtures/_self'], ['--base-url', server.baseUrl], ['--base-url', 'ftp://x', 'f.yaml'], ['--bogus'], ['--base-url', server.baseUrl, '--var', 'novalue', 'f.yaml']]) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^switchboard contract: .+\n\nusage: switchboard contract --base-url URL/);
    }
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: switchboard contract/);
  });

  it('exits 2 naming the file and key of an invalid fixture, before sending anything', async () => {
    const file = path.join(dir, 'invalid.yaml');
    await writeFile(file, 'name: broken\nsteps:\n  - name: a\n    request: {path: /api/items}\n    expect: {json: {total: {$gt: 1}}}\n');
    const run = await cli('--base-url', server.baseUrl, file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}: steps[0].expect.json.total.$gt: unknown matcher operator $gt`);
  });

  it('exits 2 when a path is missing or holds no fixtures', async () => {
    const missing = await cli('--base-url', server.baseUrl, path.join(dir, 'nothing-here'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${path.join(dir, 'nothing-here')}: no such file or directory`);
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const none = await cli('--base-url', server.baseUrl, empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(`switchboard contract: no fixture files (*.yaml, *.yml) under ${empty}\n`);
  });
});
