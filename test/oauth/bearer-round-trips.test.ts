/**
 * What an OAuth2 access token costs a request on Redis, counted by the
 * server itself: the token, its session, its grant and its user, five
 * reads, and nothing written (and no lookup of it as another kind of
 * token). The same request with a static token is the baseline, so only the
 * verification is counted.
 */
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { commandCalls, delta } from '../support/redis-commands.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { BrowserSession } from './browser-session.js';
import { ALICE, codeFlow, discover, WEB, withOAuthClients } from './oauth-clients.js';

const redis = redisPerFile('oauth-round-trips');
const CALLS = 10;

describe('an OAuth2 Bearer request on Redis', () => {
  let gw: TestGateway;
  let admin: Redis;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway({
      store: 'redis',
      redisUrl: redis.server().url,
      configure: (raw) => {
        withOAuthClients(raw);
        // Longer than the test: the static token of the baseline may not lapse while it counts.
        raw.auth = { ...raw.auth, cache_ms: 60_000 };
      },
    });
    admin = new Redis(redis.server().url);
    const web = await discover(gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    token = (await codeFlow(web, WEB.redirect, new BrowserSession(gw.baseUrl), ALICE)).tokens.access_token;
    // The engine's own timers (reaper sweeps, the data-epoch check) would send commands of their
    // own while we count; the listing needs none of them, so Redis counts the requests alone.
    await gw.gateway.engine.stop(0);
  });
  afterAll(async () => {
    admin?.disconnect();
    await gw?.stop();
  });

  /** What Redis ran for `CALLS` bit-Agent model listings with `bearer`, each answered 200. */
  async function cost(bearer: string): Promise<Record<string, number>> {
    const before = await commandCalls(admin);
    for (let i = 0; i < CALLS; i++) {
      const res = await fetch(`${gw.baseUrl}/api/v3/openapi/common/llm_names`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(res.status).toBe(200);
    }
    return delta(before, await commandCalls(admin));
  }

  it('reads the token, its session, its grant and its user, and writes nothing', async () => {
    await cost('demo-token-alice'); // the static token's credential cache warmed
    const baseline = await cost('demo-token-alice');
    const withToken = await cost(token);
    const extra = Object.fromEntries(Object.entries(withToken).map(([name, calls]) => [name, calls - (baseline[name] ?? 0)]).filter(([, calls]) => calls !== 0));
    // The token; its login session, by the uid the token names (oidc-provider ends a token with its
    // session) and then itself; its grant; its user. Each one HMGET, nothing written.
    expect(extra).toEqual({ hmget: 5 * CALLS });
  });
});
