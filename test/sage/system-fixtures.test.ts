/**
 * fixtures/sage/{users,system,versions}.yaml replayed against the real gateway
 * (Sage mounted at no prefix), on the memory and on the redis store: users,
 * system settings and releases are kept in the store, so both are checked.
 * Also checks that the three exercise every user, system and version route
 * of config/dialects/sage.yaml.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import { loadRouteTable } from '../../src/http/route-table.js';
import type { TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startSageGateway } from './client.js';

const FILES = ['system.yaml', 'users.yaml', 'versions.yaml'];
const scenarios = (await loadFixtures(['fixtures/sage'])).filter((s) => FILES.includes(path.basename(s.file ?? '')));

/** `/api/system/version/:version_str` as a pattern of the request paths it serves. */
const routePattern = (routePath: string): RegExp =>
  new RegExp(`^${routePath.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);

describe('Sage user, system and version fixtures', () => {
  it('has the three fixtures', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? '')).sort()).toEqual(FILES);
  });

  it('request every user, system and version route of the table', () => {
    // The logins and registration under /api/user/* belong to auth.yaml; the Jaeger gate has its own test.
    const covered = /^\/api\/(user\/(options|list|add|delete|config)$|system\/|health$)/;
    const routes = loadRouteTable('sage').routes.filter((r) => covered.test(r.path));
    expect(routes.length).toBe(15);
    const requests = scenarios.flatMap((s) => s.steps.map((step) => ({ method: step.request.method, path: step.request.path.replace(/\$\{\w+\}/g, 'X') })));
    const missing = routes.filter((r) => !requests.some((q) => q.method === r.method && routePattern(r.path).test(q.path))).map((r) => `${r.method} ${r.path}`);
    expect(missing, 'routes no fixture step requests').toEqual([]);
  });
});

for (const store of ['memory', 'redis'] as const) {
  describe(`Sage user, system and version fixtures on the ${store} store`, () => {
    let redis: RedisServer | undefined;
    let gw: TestGateway;
    beforeAll(async () => {
      redis = store === 'redis' ? await startRedis() : undefined;
      gw = await startSageGateway({ store, redisUrl: redis?.url });
    });
    afterAll(async () => {
      await gw?.stop();
      await redis?.stop();
    });

    it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', async (_file, scenario) => {
      const result = await runScenario(scenario, { baseUrl: gw.baseUrl });
      expect(result.passed, formatReport([result])).toBe(true);
      expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
    });
  });
}
