import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { buildRequest, rawRequest } from '../support/raw-http.js';

/** Requests that once ended the process, or that Node refuses before Koa sees them. */
describe('hostile requests', () => {
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway({
      configure: (raw) => {
        raw.server = { ...raw.server, request_timeout_ms: 2000, body_idle_timeout_ms: 700 };
      },
    });
    port = gw.gateway.port();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('matches paths case-sensitively and answers a wrong-case path with a 404 in its API shape', async () => {
    const crash = await rawRequest(port, buildRequest('POST', '/API/V3/OPENAPI/AUTH/USER-TOKEN', {}));
    expect(crash.status).toBe(404);
    expect(JSON.parse(crash.body)).toMatchObject({ code: '404', data: null });
    const openbee = await rawRequest(port, buildRequest('GET', '/OPENBEE/api/workers', {}));
    expect(openbee.status).toBe(404);
    expect(Object.keys(JSON.parse(openbee.body))).toEqual(['error']);
    const v1 = await rawRequest(port, buildRequest('GET', '/API/V1/FILES', {}));
    expect(JSON.parse(v1.body)).toMatchObject({ success: false });
    // The right case reaches the route and its own error handling.
    const right = await rawRequest(port, buildRequest('POST', '/api/v3/openapi/auth/user-token', {}));
    expect(right.status).toBe(401);
    expect(JSON.parse(right.body)).toMatchObject({ code: '401', message: 'missing API key' });
    expect((await fetch(`${gw.baseUrl}/healthz`)).status).toBe(200);
  });

  it('quotes at most a short prefix of client input in an error', async () => {
    const res = await fetch(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { Authorization: 'Bearer demo-token-alice', 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'hi', model_key: 'm'.repeat(900_000) }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text.length).toBeLessThan(400);
    expect(JSON.parse(text).error).toContain('model_key');
  });

  it('answers a NUL byte in a header with a short 400 in the path owner’s shape, then closes', async () => {
    const res = await rawRequest(port, 'GET /api/v1/files HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body)).toEqual({ success: false, error: '请求参数错误: malformed HTTP request' });
    const line = await rawRequest(port, 'GET /api/v3/openapi/x\u0001 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(JSON.parse(line.body)).toEqual({ code: '400', message: 'malformed HTTP request', data: null });
    const garbage = await rawRequest(port, 'GARBAGE\r\n\r\n');
    expect(JSON.parse(garbage.body)).toEqual({ error: 'malformed HTTP request' });
  });

  it('answers a client that half-closes right after its request, even on a route that reads the disk', async () => {
    // rawRequest ends its side as soon as the request is written; the file listing answers only after that FIN.
    const listing = await rawRequest(port, buildRequest('GET', '/api/v1/files', { Authorization: 'Bearer demo-token-bob' }));
    expect(listing.status).toBe(200);
    expect(JSON.parse(listing.body)).toMatchObject({ success: true, items: [] });
  });

  it('answers headers over the limit with 431', async () => {
    const res = await rawRequest(port, buildRequest('GET', '/openbee/api/workers', { 'X-Big': 'a'.repeat(40_000) }));
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({ error: 'request line or headers too large' });
  });

  it('cuts a body that goes quiet with a 408 in the dialect shape', async () => {
    const started = Date.now();
    const head = 'POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token-alice\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{';
    // A socket that stays open and silent (rawRequest half-closes after writing).
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => (out += d.toString()));
      socket.on('close', () => resolve(out));
      socket.write(head);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('{"success":false,"error":"请求超时"}');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('cuts a body trickled at a byte every 200 ms by the whole-request timeout', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => (out += d.toString()));
      socket.on('error', () => undefined);
      const drip = setInterval(() => socket.writable && socket.write(' '), 200);
      socket.on('close', () => {
        clearInterval(drip);
        resolve(out);
      });
      socket.write(
        'POST /api/v3/openapi/task/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token-alice\r\n' +
          'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      );
    });
    const elapsed = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"code":"408"');
    // request_timeout_ms is 2 s; Node checks it about once a second.
    expect(elapsed).toBeLessThan(5000);
    expect((await fetch(`${gw.baseUrl}/healthz`)).status).toBe(200);
  });
});
