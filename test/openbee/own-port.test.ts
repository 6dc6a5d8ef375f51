/**
 * `dialects.openbee.port`: the API served alone on its own listener at
 * `/api/...`, as the OpenBee web client (which calls `/api` of its own
 * origin) expects; the prefixed mount keeps working beside it, and the
 * stream's seen cookie is scoped to the path each listener serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { loggedIn, startBeeGateway } from './client.js';

let gw: TestGateway & { api: string };
beforeAll(async () => {
  gw = await startBeeGateway({ configure: (raw) => (raw.dialects.openbee.port = 0) });
});
afterAll(async () => {
  await gw?.stop();
});

describe('OpenBee on its own port', () => {
  it('serves the whole API at /api without the prefix, for the same users and data', async () => {
    const own = `http://127.0.0.1:${gw.gateway.port('openbee')}/api`;
    const direct = await loggedIn(own, 'alice');
    const session = await direct.post('/local/sessions', { name: 'Own port' });
    expect(session.status).toBe(201);
    const prefixed = await loggedIn(gw.api, 'alice');
    expect((await prefixed.get('/local/sessions')).body.map((s: { id: string }) => s.id)).toContain(session.body.id);
    const listed = await direct.get(`/local/sessions/${session.body.id}/messages`);
    expect(listed.headers.get('set-cookie')).toContain(`Path=/api/local/sessions/${session.body.id};`);
    // Only OpenBee lives there.
    expect((await fetch(`${own}/v1/files`, { headers: { authorization: 'Bearer demo-token-alice' } })).status).toBe(404);
  });
});
