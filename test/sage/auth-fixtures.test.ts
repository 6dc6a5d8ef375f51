import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import type { TestGateway } from '../support/gateway.js';
import { startSageGateway } from './client.js';

/** fixtures/sage/auth*.yaml replayed against the real gateway (Sage mounted at no prefix). */
describe('Sage auth fixtures', async () => {
  const scenarios = (await loadFixtures(['fixtures/sage'])).filter((s) => /^auth.*\.yaml$/.test(path.basename(s.file ?? '')));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway();
  });
  afterAll(() => gw.stop());

  it('has the auth fixture', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? ''))).toEqual(['auth.yaml']);
  });

  it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
    expect(result.passed, formatReport([result])).toBe(true);
  });
});
