import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import { chunk, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { assertDocumented, documentedTypes } from './openapi.js';
import { startV1Gateway } from './setup.js';

const scenarios = await loadFixtures([path.resolve('fixtures/agents-v1')]);

/**
 * The fetch the fixture runner uses: the real one, plus a check of every
 * answer against the OpenAPI document (JSON bodies against the schema of
 * their status, binary bodies against the documented media types).
 */
const checkedFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init?.method ?? 'GET').toUpperCase();
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('application/json')) assertDocumented(method, url.pathname, response.status, await response.clone().json());
  else if (!documentedTypes(method, url.pathname, response.status).some((t) => type.startsWith(t))) {
    throw new Error(`${method} ${url.pathname} → ${response.status}: undocumented media type ${type}`);
  }
  return response;
};

/**
 * fixtures/agents-v1 replayed against the real gateway. Every answer of the
 * model server streams for about a second, so a task is still running when
 * the busy fixture's second message arrives.
 */
describe('fixtures/agents-v1 against the gateway', () => {
  let model: OpenAIServer;
  let gw: TestGateway;

  beforeAll(async () => {
    const words = 'This answer streams slowly, word by word, from the local model server.'.split(/(?<= )/);
    model = await startOpenAIServer({
      fallback: { chunks: [...words.map((w) => chunk.text(w)), chunk.finish('stop'), chunk.usage(12, 12)], delayMs: 60 },
    });
    gw = await startV1Gateway({ modelUrl: model.url });
  });
  afterAll(async () => {
    await gw?.stop();
    await model?.close();
  });

  it('covers the whole API', () => {
    const names = scenarios.map((s) => path.basename(s.file ?? ''));
    expect(names).toEqual(
      expect.arrayContaining(['auth.yaml', 'busy-and-cancel.yaml', 'conversations.yaml', 'files.yaml', 'isolation.yaml', 'message-errors.yaml', 'message-lifecycle.yaml']),
    );
  });

  it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', async (_file, scenario) => {
    const result = await runScenario(scenario, { baseUrl: gw.baseUrl, fetch: checkedFetch });
    expect(result.passed, formatReport([result])).toBe(true);
    expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
  });
});
