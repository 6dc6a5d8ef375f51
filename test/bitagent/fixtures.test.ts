/**
 * Replays the bit-Agent contract fixtures (fixtures/bitagent) against the
 * real gateway with the shipped configuration, the way
 * `switchboard contract --base-url http://host:8000/api fixtures/bitagent`
 * replays them against a deployment.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario, type ScenarioResult } from '../../src/contract/index.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

it('passes every bit-Agent fixture', async () => {
  const scenarios = await loadFixtures([join(PACKAGE_ROOT, 'fixtures', 'bitagent')]);
  expect(scenarios.length).toBeGreaterThanOrEqual(5);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) results.push(await runScenario(scenario, { baseUrl: `${gw.baseUrl}/api` }));
  const failed = results.filter((r) => !r.passed);
  expect(failed.length, formatReport(results)).toBe(0);
});
