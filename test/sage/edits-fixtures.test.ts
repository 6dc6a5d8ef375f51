/**
 * fixtures/sage/conversation-{edits,sharing,guidance,guidance-delivered}.yaml
 * replayed against the real gateway (Sage mounted at no prefix), on the
 * memory and on the redis store: the history a rerun cuts, the guidance
 * queue and the share marks are kept in the store, so both are checked.
 * Edits and sharing run on the offline demo model, whose echo shows which
 * message a run answered. Guidance needs a reply still running while it is
 * sent, which the demo model ends within a fraction of a second: those run
 * on a local OpenAI-compatible server whose answers stall until interrupted,
 * or, for the guidance a run reads, call a tool slowly and then answer.
 * Also checks that the fixtures request every route of the section.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import { loadRouteTable } from '../../src/http/route-table.js';
import type { TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer, type Scripted } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startSageGateway } from './client.js';
import { slowToolTurn } from './setup.js';

const ON_DEMO_MODEL = ['conversation-edits.yaml', 'conversation-sharing.yaml'];
/** What the local model answers in each scenario beyond its fallback, which stalls. */
const ON_LOCAL_MODEL: Record<string, Scripted[]> = {
  'conversation-guidance.yaml': [],
  // Slow enough that the guidance arrives before the tool result, where the run reads it.
  'conversation-guidance-delivered.yaml': [
    slowToolTurn(),
    textReply('It is 42.'),
  ],
};
const FILES = [...ON_DEMO_MODEL, ...Object.keys(ON_LOCAL_MODEL)].sort();
const scenarios = (await loadFixtures(['fixtures/sage'])).filter((s) => FILES.includes(path.basename(s.file ?? '')));
const named = (files: string[]) => scenarios.filter((s) => files.includes(path.basename(s.file ?? ''))).map((s) => [path.basename(s.file ?? ''), s] as const);

/** `/api/sessions/:session_id/inject-user-message` as a pattern of the request paths it serves. */
const routePattern = (routePath: string): RegExp =>
  new RegExp(`^${routePath.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);

describe('Sage conversation edit, guidance and sharing fixtures', () => {
  it('has the four fixtures', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? '')).sort()).toEqual(FILES);
  });

  it('request every edit, guidance and sharing route of the table', () => {
    const covered = /(\/rerun-stream|\/edit-last-user-message|\/inject-user-message(\/:guidance_id)?|\/share|^\/api\/share\/.*)$/;
    const routes = loadRouteTable('sage').routes.filter((r) => covered.test(r.path));
    expect(routes.length).toBe(8);
    const requests = scenarios.flatMap((s) => s.steps.map((step) => ({ method: step.request.method, path: step.request.path.replace(/\$\{\w+\}/g, 'X') })));
    const missing = routes.filter((r) => !requests.some((q) => q.method === r.method && routePattern(r.path).test(q.path))).map((r) => `${r.method} ${r.path}`);
    expect(missing, 'routes no fixture step requests').toEqual([]);
  });
});

for (const store of ['memory', 'redis'] as const) {
  describe(`Sage conversation edit, guidance and sharing fixtures on the ${store} store`, () => {
    // One redis each: the stalling gateway's demo agent runs on another model, and agents live in the store.
    let redis: RedisServer | undefined;
    let stallingRedis: RedisServer | undefined;
    let model: OpenAIServer | undefined;
    let demo: TestGateway;
    let stalling: TestGateway;
    beforeAll(async () => {
      redis = store === 'redis' ? await startRedis() : undefined;
      stallingRedis = store === 'redis' ? await startRedis() : undefined;
      demo = await startSageGateway({ store, redisUrl: redis?.url });
      // Every model call says a little, then hangs: the reply runs until the fixture interrupts it.
      model = await startOpenAIServer({ fallback: { chunks: [chunk.text('Working on it. ')], stall: true } });
      stalling = await startSageGateway({ store, redisUrl: stallingRedis?.url, modelUrl: model.url });
    });
    afterAll(async () => {
      await demo?.stop();
      await stalling?.stop();
      await model?.close();
      await redis?.stop();
      await stallingRedis?.stop();
    });

    it.each(named(ON_DEMO_MODEL))('%s passes on the demo model', async (_file, scenario) => {
      const result = await runScenario(scenario, { baseUrl: demo.baseUrl });
      expect(result.passed, formatReport([result])).toBe(true);
      expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
    });

    it.each(named(Object.keys(ON_LOCAL_MODEL)))('%s passes while a reply runs', async (file, scenario) => {
      model!.script(ON_LOCAL_MODEL[file]!);
      const result = await runScenario(scenario, { baseUrl: stalling.baseUrl });
      expect(result.passed, formatReport([result])).toBe(true);
      expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
    });
  });
}
