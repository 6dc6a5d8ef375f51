import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import type { TestGateway } from '../support/gateway.js';
import { startSageGateway } from './client.js';

/** fixtures/sage/conversations*.yaml replayed against the real gateway (demo model, Sage at no prefix). */
describe('Sage conversation fixtures', async () => {
  const scenarios = (await loadFixtures(['fixtures/sage'])).filter((s) => /^conversations.*\.yaml$/.test(path.basename(s.file ?? '')));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway();
  });
  afterAll(() => gw.stop());

  it('has the conversation fixture', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? ''))).toEqual(['conversations.yaml']);
  });

  it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
    expect(result.passed, formatReport([result])).toBe(true);
  });
});
