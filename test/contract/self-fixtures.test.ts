import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import { startContractServer, type ContractServer } from './contract-server.js';

// Every fixture in fixtures/_self except the deliberately failing `fail-*` ones must
// pass against the test server.
const all = await loadFixtures([path.resolve('fixtures/_self')]);
const passing = all.filter((scenario) => !path.basename(scenario.file ?? '').startsWith('fail-'));

describe('fixtures/_self against a real server', () => {
  let server: ContractServer;
  beforeAll(async () => {
    server = await startContractServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('finds the fixtures, sorted by file name', () => {
    const names = passing.map((scenario) => path.basename(scenario.file ?? ''));
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['matchers.yaml', 'sse-events.yaml', 'ndjson-stream.yaml', 'task-lifecycle.yaml']));
  });

  it.each(passing.map((scenario) => [path.basename(scenario.file ?? ''), scenario] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: server.baseUrl });
    expect(result.passed, formatReport([result])).toBe(true);
    expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
  });

  it('polls with repeat_until until the condition holds', async () => {
    const scenario = passing.find((s) => s.file?.endsWith('task-lifecycle.yaml'));
    const result = await runScenario(scenario!, { baseUrl: server.baseUrl });
    const poll = result.steps.find((step) => step.name === 'poll until the task is done');
    expect(poll?.attempts).toBe(3);
  });
});
