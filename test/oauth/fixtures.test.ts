/**
 * fixtures/oauth replayed against the real gateway (the shipped config, its
 * demo client) on the memory store and on Redis; and the same files with one
 * expectation changed fail, at the place changed, so they really pin what a
 * relying party sees.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, parseFixture, runScenario } from '../../src/contract/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisPerFile } from '../support/redis-per-file.js';

const redis = redisPerFile('oauth-fixtures');
const scenarios = await loadFixtures(['fixtures/oauth']);
const fileOf = (scenario: { file?: string }) => path.basename(scenario.file ?? '');

describe.each(['memory', 'redis'] as const)('OAuth fixtures on the %s store', (store) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ store, ...(store === 'redis' ? { redisUrl: redis.server().url } : {}) });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('has the fixtures', () => {
    expect(scenarios.map(fileOf)).toEqual(['authorize-errors.yaml', 'endpoint-errors.yaml', 'metadata.yaml', 'token-errors.yaml']);
  });

  it.each(scenarios.map((s) => [fileOf(s), s] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
    expect(result.passed, formatReport([result])).toBe(true);
  });

  it.each([
    ['metadata.yaml', 'code_challenge_methods_supported: [S256]', 'code_challenge_methods_supported: [plain]', 'json.code_challenge_methods_supported[0]'],
    ['token-errors.yaml', 'error: unauthorized_client', 'error: invalid_request', 'json.error'],
    ['endpoint-errors.yaml', '{$exact: true, active: false}', '{$exact: true, active: true}', 'json.active'],
  ])('%s with one expectation changed fails there', async (file, from, to, failurePath) => {
    const text = await readFile(path.join('fixtures/oauth', file), 'utf8');
    expect(text).toContain(from);
    const broken = parseFixture(text.replace(from, to), file);
    const result = await runScenario(broken, { baseUrl: gw.baseUrl });
    expect(result.passed).toBe(false);
    const failures = result.steps.flatMap((step) => step.failures.map((failure) => failure.path));
    expect(failures).toEqual([failurePath]);
  });
});
