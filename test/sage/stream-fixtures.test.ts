import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import type { TestGateway } from '../support/gateway.js';
import { startSageGateway } from './client.js';

/** fixtures/sage/stream*.yaml replayed against the real gateway (the offline demo model answers). */
describe('Sage stream fixtures', async () => {
  const scenarios = (await loadFixtures(['fixtures/sage'])).filter((s) => /^stream.*\.yaml$/.test(path.basename(s.file ?? '')));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway();
  });
  afterAll(() => gw.stop());

  it('has the stream fixtures', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? ''))).toEqual(['streams.yaml']);
  });

  it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
    expect(result.passed, formatReport([result])).toBe(true);
  });
});
