import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The gateway-wide fixtures (fixtures/gateway), replayed against the real gateway on a random port. */
describe('gateway contract fixtures', async () => {
  const scenarios = await loadFixtures(['fixtures/gateway']);
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('has fixtures to replay', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
      expect(result.passed, formatReport([result])).toBe(true);
    });
  }
});
