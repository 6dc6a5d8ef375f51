/**
 * Replays the OpenBee contract fixtures (fixtures/openbee) against the real
 * gateway with the shipped configuration and the local OpenAI-compatible
 * model server, on the memory and on the redis store, the way
 * `switchboard contract --base-url http://host:8080/openbee fixtures/openbee`
 * replays them against a deployment. Also checks that the fixtures exercise
 * every route of config/dialects/openbee.yaml and expect every documented
 * status and error message.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtures, runScenario } from '../../src/contract/index.js';
import type { HttpMethod, Scenario } from '../../src/contract/types.js';
import { loadRouteTable } from '../../src/http/route-table.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { chunk, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { startBeeGateway } from './client.js';

const scenarios = await loadFixtures([path.join(PACKAGE_ROOT, 'fixtures', 'openbee')]);

/** A route path (`/api/workers/:id`) as a pattern of the request paths it serves. */
function routePattern(routePath: string): RegExp {
  const parts = routePath.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('/')}$`);
}

/**
 * Every request of the fixtures as method and path: a `${var}` stands for
 * one path segment's value (what it is at run time: an id), and the query
 * is not part of the path.
 */
function fixtureRequests(list: Scenario[]): { method: HttpMethod; path: string; where: string }[] {
  return list.flatMap((scenario) =>
    scenario.steps.map((step) => ({
      method: step.request.method,
      path: step.request.path.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'X').split('?')[0]!,
      where: `${path.basename(scenario.file ?? '')}: ${step.name}`,
    })),
  );
}

/** Every status a step expects as a literal number, with the literal `error` texts its JSON body must hold. */
function expectedErrors(list: Scenario[]): { statuses: Set<number>; errors: Set<string> } {
  const statuses = new Set<number>();
  const errors = new Set<string>();
  const collect = (matcher: unknown): void => {
    if (Array.isArray(matcher)) matcher.forEach(collect);
    else if (matcher !== null && typeof matcher === 'object') {
      for (const [key, value] of Object.entries(matcher)) {
        if (key === 'error' && typeof value === 'string' && !value.includes('${')) errors.add(value);
        else if (!key.startsWith('$') || key === '$match') collect(value);
      }
    }
  };
  for (const step of list.flatMap((s) => s.steps)) {
    if (typeof step.expect?.status === 'number') statuses.add(step.expect.status);
    collect(step.expect?.json);
  }
  return { statuses, errors };
}

describe('fixtures/openbee', () => {
  it('has the fixture files a client relies on', () => {
    expect(scenarios.map((s) => path.basename(s.file ?? '')).sort()).toEqual(
      expect.arrayContaining(['auth.yaml', 'executions.yaml', 'media.yaml', 'sessions-and-messages.yaml', 'stream.yaml', 'too-many-logins.yaml', 'workers.yaml']),
    );
  });

  it('sends a request to every route of the OpenBee route table', () => {
    const table = loadRouteTable('openbee');
    expect(table.routes.length).toBeGreaterThan(0);
    const requests = fixtureRequests(scenarios);
    const missing = table.routes
      .filter((route) => !requests.some((r) => r.method === route.method && routePattern(route.path).test(r.path)))
      .map((route) => `${route.method} ${route.path}`);
    expect(missing, 'routes no fixture step requests').toEqual([]);
    // And no step requests a path outside the table (a typo would test the 404 of "no route").
    const unrouted = requests
      .filter((r) => !table.routes.some((route) => route.method === r.method && routePattern(route.path).test(r.path)))
      .map((r) => `${r.method} ${r.path} (${r.where})`);
    expect(unrouted, 'fixture steps whose request no route serves').toEqual([]);
  });

  it('expects every documented status and error message', () => {
    const { statuses, errors } = expectedErrors(scenarios);
    for (const status of [200, 201, 202, 400, 401, 404, 429]) expect(statuses.has(status), `a step expecting ${status}`).toBe(true);
    for (const error of ['worker not found', 'execution not found', 'session not found', 'too many attempts, please try again later']) {
      expect(errors.has(error), `a step expecting {"error": "${error}"}`).toBe(true);
    }
  });
});

function replaySuite(store: 'memory' | 'redis'): void {
  describe(`fixtures/openbee against the gateway on the ${store} store`, () => {
    let model: OpenAIServer;
    let redis: RedisServer | undefined;
    let gw: Awaited<ReturnType<typeof startBeeGateway>>;

    beforeAll(async () => {
      // Every reply streams for about half a second, word by word: a stream opened
      // right after a message is sent is open before the reply is complete.
      const words = 'Bees live in colonies of tens of thousands, with one queen who lays the eggs.'.split(/(?<= )/);
      model = await startOpenAIServer({
        fallback: { chunks: [...words.map((w) => chunk.text(w)), chunk.finish('stop'), chunk.usage(12, 15)], delayMs: 35 },
      });
      redis = store === 'redis' ? await startRedis() : undefined;
      gw = await startBeeGateway({ modelUrl: model.url, store, redisUrl: redis?.url });
    });
    afterAll(async () => {
      await gw?.stop();
      await model?.close();
      await redis?.stop();
    });

    // One after another, in file order (they share the gateway's state and its users).
    it.each(scenarios.map((s) => [path.basename(s.file ?? ''), s] as const))('%s passes', { timeout: 120_000 }, async (_file, scenario) => {
      const result = await runScenario(scenario, { baseUrl: `${gw.baseUrl}/openbee` });
      expect(result.passed, formatReport([result])).toBe(true);
      expect(result.steps.every((step) => step.passed && !step.skipped)).toBe(true);
    });
  });
}

replaySuite('memory');
replaySuite('redis');
