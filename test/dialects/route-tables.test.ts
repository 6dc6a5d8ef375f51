import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DIALECT_NAMES, type DialectName } from '../../src/config/types.js';
import { page } from '../../src/dialects/bitagent/envelope.js';
import { DIALECT_FACTORIES } from '../../src/dialects/index.js';
import { notImplementedHandlers } from '../../src/dialects/not-implemented.js';
import { notFound, unauthenticated } from '../../src/engine/errors.js';
import type { Handler, RouteSpec, RouteTable } from '../../src/http/dialect.js';
import { buildRouter } from '../../src/http/mount.js';
import { loadRouteTable } from '../../src/http/route-table.js';
import { silentLogger } from '../../src/log.js';
import { SseWriter } from '../../src/stream/sse.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

type Method = RouteSpec['method'];
const METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** One endpoint as a document lists it; no method = the document names the path only. */
interface Endpoint {
  method?: Method;
  path: string;
  /** The success status the document states, when it states one. */
  status?: number;
}

/** The API documents: `SWITCHBOARD_SPECS`, else `specs/` in the package, else the shared folder beside it. */
function specDir(): string {
  const candidates = [process.env.SWITCHBOARD_SPECS, join(PACKAGE_ROOT, 'specs'), join(PACKAGE_ROOT, '..', 'shared', 'specs')];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'agents-v1.openapi.yaml')));
  if (!found) throw new Error(`API documents not found; looked in ${candidates.filter(Boolean).join(', ')}`);
  return found;
}
const spec = (file: string) => readFileSync(join(specDir(), file), 'utf8');

/** `{id}`, `:id` and `*rest` each name one parameter: paths compare by shape. */
const shape = (path: string) => path.replace(/\{[^}]+\}|:[A-Za-z_]\w*|\*[A-Za-z_]\w*/g, '{}');

function bitAgentEndpoints(): Endpoint[] {
  const text = spec('000_9f7461eb1bbfdc1a.txt');
  return [...text.matchAll(/^(GET|POST|PUT|PATCH|DELETE) (\/v3\/openapi\/\S+)$/gm)].map((m) => ({ method: m[1] as Method, path: m[2]! }));
}

function sageEndpoints(): Endpoint[] {
  const text = spec('001_d0177cb28a1e374a.txt');
  const rows = [...text.matchAll(/^\| ([A-Z/]+) \| (\/\S*) \| [^|]* \| ([^|]*)\|/gm)].flatMap((m) => {
    const methods = m[1] === 'ANY' ? METHODS : (m[1]!.split('/') as Method[]);
    const success = /^(2\d\d)\b/.exec(m[3]!.trim());
    return methods.map((method) => ({ method, path: m[2]!, ...(success ? { status: Number(success[1]) } : {}) }));
  });
  // The compatibility paths sit on one line (the document lost its line breaks) and carry no method.
  const compat = /Compatibility paths:\n(.*)\n/.exec(text)?.[1] ?? '';
  return [...rows, ...compat.split(/(?=\/api\/)/).filter(Boolean).map((path) => ({ path }))];
}

function openBeeEndpoints(): Endpoint[] {
  const text = spec('002_768a237c0d3bbc6d.txt');
  const lines = [...text.matchAll(/^(GET|POST|PUT|PATCH|DELETE) (\/api\/[^\s?]+)\S*$/gm)];
  return lines.map((m, i) => {
    const section = text.slice(m.index, lines[i + 1]?.index ?? text.length);
    const status = /Response: (\d{3})/.exec(section);
    return { method: m[1] as Method, path: m[2]!, status: status ? Number(status[1]) : 200 };
  });
}

function agentsV1Endpoints(): Endpoint[] {
  const doc = parseYaml(spec('agents-v1.openapi.yaml')) as { paths: Record<string, Record<string, { responses: object }>> };
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => ({
      method: method.toUpperCase() as Method,
      path,
      status: Math.min(...Object.keys(op.responses).map(Number).filter((s) => s < 300)),
    })),
  );
}

const DOCUMENTED: Record<DialectName, () => Endpoint[]> = {
  sage: sageEndpoints,
  bitagent: bitAgentEndpoints,
  'agents-v1': agentsV1Endpoints,
  openbee: openBeeEndpoints,
};

/**
 * Routes real clients call beyond their API's document, each named in
 * WIRE-NOTES.md (what the original servers and their web clients do).
 */
const BEYOND_THE_DOCUMENT: Record<DialectName, string[]> = {
  // The web UI's calls beyond the document (WIRE-NOTES, "What the Sage web frontend reads").
  sage: [
    'POST /api/user/refresh-token',
    'GET /api/user/profile',
    'POST /api/conversations/{}/rerun-stream',
    'POST /api/conversations/{}/edit-last-user-message',
    'POST /api/sessions/{}/inject-user-message',
    'GET /api/sessions/{}/inject-user-message',
    'PATCH /api/sessions/{}/inject-user-message/{}',
    'DELETE /api/sessions/{}/inject-user-message/{}',
    // Marking a conversation for the shared view, which the document serves only for shared ones.
    'POST /api/conversations/{}/share',
    'GET /api/sessions/{}/download',
    'POST /api/chat/optimize-input',
    'POST /api/chat/optimize-input/stream',
    'POST /api/agent/abilities',
    'POST /api/agent/{}/file_workspace/upload',
  ],
  bitagent: [],
  'agents-v1': [],
  // The OpenBee web client's `<img src>` and download links for uploads.
  openbee: ['GET /api/local/sessions/{}/media/{}'],
};

/** Whether route `a` (listed first) answers every request route `b` would. */
function shadows(a: string, b: string): boolean {
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; i < left.length; i++) {
    const seg = left[i]!;
    if (seg.startsWith('*')) return right.length > i;
    const other = right[i];
    if (other === undefined || other.startsWith('*') || (other.startsWith(':') && !seg.startsWith(':'))) return false;
    if (!seg.startsWith(':') && seg !== other) return false;
  }
  return left.length === right.length;
}

/** The error body each API's clients parse, for a status and message. */
const ERROR_SHAPE: Record<DialectName, (status: number, message: unknown) => unknown> = {
  sage: (status, message) => ({ success: false, code: status, message, error_detail: expect.any(String), timestamp: expect.any(Number) }),
  bitagent: (status, message) => ({ code: String(status), message, data: null }),
  'agents-v1': (_status, message) => ({ success: false, error: message }),
  openbee: (_status, message) => ({ error: message }),
};

describe.each(DIALECT_NAMES)('route table of %s', (name) => {
  const table = loadRouteTable(name);

  it('keeps every route under the base, with unique lowerCamelCase operations and unique method + path', () => {
    expect(table.routes.length).toBeGreaterThan(0);
    expect(table.routes.filter((r) => !r.path.startsWith(`${table.base}/`) && r.path !== table.base)).toEqual([]);
    const operations = table.routes.map((r) => r.operation);
    expect(operations.filter((op, i) => operations.indexOf(op) !== i)).toEqual([]);
    expect(operations.filter((op) => !/^[a-z][a-zA-Z0-9]*$/.test(op))).toEqual([]);
    const keys = table.routes.map((r) => `${r.method} ${shape(r.path)}`);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  it('lists no route that an earlier route of the same method would swallow', () => {
    const swallowed = table.routes.flatMap((later, j) =>
      table.routes
        .slice(0, j)
        .filter((earlier) => earlier.method === later.method && shadows(earlier.path, later.path))
        .map((earlier) => `${later.method} ${later.path} is hidden by ${earlier.path}`),
    );
    expect(swallowed).toEqual([]);
  });

  it('holds every endpoint of the document, with its success status, and nothing the document lacks', () => {
    const documented = DOCUMENTED[name]();
    expect(documented.length).toBeGreaterThan(5);
    // Sage's OAuth2 protocol endpoints (/.well-known/oauth-authorization-server, /oauth2/* and the
    // /api/oauth2/* aliases) are served by the gateway's OAuth2 authorization server, ahead of every
    // dialect (test/oauth/server-paths.test.ts), so this table does not list them.
    const servedByOAuth = (e: Endpoint) => name === 'sage' && /^\/(\.well-known\/oauth-authorization-server$|oauth2\/|api\/oauth2\/)/.test(e.path);
    const outside = documented.filter((e) => !e.path.startsWith(`${table.base}/`));
    expect(outside.filter((e) => !servedByOAuth(e))).toEqual([]);
    const inside = documented.filter((e) => !outside.includes(e) && !servedByOAuth(e));

    const problems: string[] = [];
    for (const e of inside) {
      const route = table.routes.find((r) => shape(r.path) === shape(e.path) && (e.method === undefined || r.method === e.method));
      if (!route) problems.push(`missing ${e.method ?? 'any method'} ${e.path}`);
      else if (e.status !== undefined && (route.status ?? 200) !== e.status) problems.push(`${e.path}: status ${route.status ?? 200}, document says ${e.status}`);
    }
    for (const r of table.routes) {
      const documentedHere = inside.some((e) => shape(e.path) === shape(r.path) && (e.method === undefined || e.method === r.method));
      if (!documentedHere && !BEYOND_THE_DOCUMENT[name].includes(`${r.method} ${shape(r.path)}`)) problems.push(`undocumented ${r.method} ${r.path}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the Agents API v1 documents', () => {
  it('agree on the paths (the text copy and the re-indented YAML)', () => {
    const text = [...spec('003_73c65cb59f233ac0.txt').matchAll(/(\/api\/v1\/[^\s:]*):/g)].map((m) => m[1]);
    expect(new Set(text)).toEqual(new Set(agentsV1Endpoints().map((e) => e.path)));
  });
});

/** A route's needs when a test is about something else: no credentials, no body. */
const PUBLIC: Pick<RouteSpec, 'auth' | 'body'> = { auth: ['none'], body: 'none' };

describe('the four dialects as clients see them', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const concrete = (path: string) => path.replace(/:\w+/g, 'x1').replace(/\*\w+/g, 'a/b');
  const urlOf = (name: DialectName, path: string) => gw.baseUrl + gw.config.dialects[name].prefix + concrete(path);

  /** A dialect served alone with the given table and handlers, so each outcome is seen as a client sees it. */
  async function serve(name: DialectName, table: RouteTable, handlers: Record<string, Handler>, prefix = '') {
    const { engine, streams, views, credentials, uploads } = gw.gateway;
    // The handlers are replaced, so nothing here signs a browser out.
    const signOut = () => Promise.reject(new Error('no browser sign-out in this test'));
    const dialect = DIALECT_FACTORIES[name]({ engine, config: gw.config, logger: silentLogger, streams, views, credentials, signOut });
    const app = new Koa();
    const deps = { config: gw.config, logger: silentLogger, credentials, uploads };
    app.use(buildRouter({ dialect: { ...dialect, handlers }, table, prefix }, deps).routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
    return {
      base,
      call: async (method: Method, path: string, headers: Record<string, string> = {}) => {
        const hasBody = method !== 'GET' && method !== 'DELETE';
        const res = await fetch(base + concrete(path), {
          method,
          headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
          ...(hasBody ? { body: '{}' } : {}),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      },
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }

  /** Probe routes (GET path → handler) in a dialect, with optional success statuses by path. */
  async function probe(name: DialectName, handlers: Record<string, Handler>, status: Record<string, number> = {}) {
    const paths = Object.keys(handlers);
    const table: RouteTable = {
      dialect: name,
      base: '/',
      routes: paths.map((path, i) => ({ ...PUBLIC, method: 'GET', path, operation: `probe${i}`, ...(status[path] ? { status: status[path] } : {}) })),
    };
    const served = await serve(name, table, Object.fromEntries(paths.map((path, i) => [`probe${i}`, handlers[path]!])));
    return { get: (path: string, headers?: Record<string, string>) => served.call('GET', path, headers), close: served.close };
  }

  it.each(DIALECT_NAMES)('mounts %s and answers its unknown paths with 404 in its own shape', async (name) => {
    const unknown = `${loadRouteTable(name).base}/no-such-thing`;
    const res = await fetch(urlOf(name, unknown));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(ERROR_SHAPE[name](404, expect.stringContaining('no-such-thing')));
  });

  it.each(DIALECT_NAMES)('answers a malformed %s JSON body with 400 in its shape', async (name) => {
    const table: RouteTable = { dialect: name, base: '/', routes: [{ method: 'POST', path: '/echo', operation: 'echo', auth: ['none'], body: 'json' }] };
    const served = await serve(name, table, { echo: async (ctx) => ctx.request.body });
    try {
      const res = await fetch(`${served.base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"oops' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(ERROR_SHAPE[name](400, expect.any(String)));
    } finally {
      await served.close();
    }
  });

  it.each(DIALECT_NAMES)("scaffolds every %s route as 501 in the API's own error shape", async (name) => {
    // The scaffolding, not the credentials, is under test: every route is made public.
    const declared = loadRouteTable(name);
    const table = { ...declared, routes: declared.routes.map((route) => ({ ...route, ...PUBLIC })) };
    const served = await serve(name, table, notImplementedHandlers(name), gw.config.dialects[name].prefix);
    try {
      for (const route of table.routes) {
        expect({ route: `${route.method} ${route.path}`, ...(await served.call(route.method, route.path)) }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 501,
          body: ERROR_SHAPE[name](501, `${name} ${route.method} ${route.path} is not implemented yet`),
        });
      }
    } finally {
      await served.close();
    }
  });

  const failing: Record<string, Handler> = {
    '/boom': async () => {
      throw new Error('secret: connection refused at /srv/db.js:12');
    },
    '/denied': async () => {
      throw unauthenticated('无效的 Token');
    },
    '/missing': async () => {
      throw notFound('task', 't1');
    },
  };
  const missingTask: Record<DialectName, string> = {
    sage: '任务不存在',
    bitagent: 'task not found',
    'agents-v1': '任务不存在',
    openbee: 'execution not found',
  };
  const internal: Record<DialectName, string> = {
    sage: '内部服务器错误',
    bitagent: 'internal server error',
    'agents-v1': '服务器内部错误',
    openbee: 'internal server error',
  };

  it.each(DIALECT_NAMES)('renders %s errors with their status and a generic message for the unexpected', async (name) => {
    const p = await probe(name, failing);
    try {
      const boom = await p.get('/boom');
      expect(boom).toEqual({ status: 500, body: ERROR_SHAPE[name](500, internal[name]) });
      expect(JSON.stringify(boom.body)).not.toMatch(/secret|db\.js/);
      expect(await p.get('/denied')).toEqual({ status: 401, body: ERROR_SHAPE[name](401, '无效的 Token') });
      expect(await p.get('/missing')).toEqual({ status: 404, body: ERROR_SHAPE[name](404, missingTask[name]) });
    } finally {
      await p.close();
    }
  });

  it('tells an error after a stream opened inside the stream, in the dialect’s own style, then ends it', async () => {
    const failingStream: Handler = async (ctx) => {
      const sse = new SseWriter(ctx, gw.gateway.streams);
      await sse.send({ event: 'message', data: 'first' });
      throw notFound('task', 't1');
    };
    const read = async (name: DialectName) => {
      const table: RouteTable = { dialect: name, base: '/', routes: [{ ...PUBLIC, method: 'GET', path: '/s', operation: 's' }] };
      const served = await serve(name, table, { s: failingStream });
      try {
        return await (await fetch(`${served.base}/s`)).text();
      } finally {
        await served.close();
      }
    };
    // bit-Agent's streams end with an `error` frame and their usual `close`.
    expect(await read('bitagent')).toBe('event: message\ndata: first\n\nevent: error\ndata: task not found\n\nevent: close\ndata: close\n\n');
    // A dialect without a stream style for errors just ends the stream.
    expect(await read('agents-v1')).toBe('event: message\ndata: first\n\n');
  });

  it('renders Sage internal errors in English when the caller asks for it', async () => {
    const p = await probe('sage', failing);
    try {
      expect((await p.get('/boom', { 'x-sage-locale': 'en-US' })).body).toMatchObject({ message: 'Internal server error' });
      expect((await p.get('/boom', { 'accept-language': 'en' })).body).toMatchObject({ message: 'Internal server error' });
    } finally {
      await p.close();
    }
  });

  it('wraps successes in each API\'s envelope', async () => {
    const worker = { id: 'w1', name: 'Assistant' };
    const ok: Record<string, Handler> = { '/ok': async () => worker, '/made': async () => worker };
    const expected: Record<DialectName, unknown> = {
      sage: { success: true, code: 200, message: 'success', data: worker, timestamp: expect.any(Number) },
      bitagent: { code: '200', message: '', data: worker },
      'agents-v1': { success: true, ...worker },
      openbee: worker,
    };
    for (const name of DIALECT_NAMES) {
      const p = await probe(name, ok, { '/made': 201 });
      try {
        expect(await p.get('/ok')).toEqual({ status: 200, body: expected[name] });
        expect(await p.get('/made')).toEqual({ status: 201, body: expected[name] });
      } finally {
        await p.close();
      }
    }
  });

  it('puts bit-Agent page totals beside data, and leaves `success` out of Sage auth and knowledge-base bodies', async () => {
    const bit = await probe('bitagent', { '/ability/page': async () => page([{ id: 'a1' }], 7) });
    try {
      expect((await bit.get('/ability/page')).body).toEqual({ code: '200', message: '', data: [{ id: 'a1' }], total: 7 });
    } finally {
      await bit.close();
    }
    const user = { user: 'alice' };
    const sage = await probe('sage', {
      '/api/auth/session': async () => user,
      '/api/user/check_login': async () => user,
      '/api/knowledge-base/info': async () => user,
      '/api/user/options': async () => user,
    });
    try {
      const bare = { code: 200, message: 'success', data: user, timestamp: expect.any(Number) };
      expect((await sage.get('/api/auth/session')).body).toEqual(bare);
      expect((await sage.get('/api/user/check_login')).body).toEqual(bare);
      expect((await sage.get('/api/knowledge-base/info')).body).toEqual(bare);
      expect((await sage.get('/api/user/options')).body).toEqual({ success: true, ...bare });
    } finally {
      await sage.close();
    }
  });
});
