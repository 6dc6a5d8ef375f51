// A small real HTTP server the contract tests replay fixtures against: JSON
// endpoints with a task that finishes after a few polls, an SSE and an NDJSON
// stream, a never-ending SSE stream, an echo endpoint and a multipart upload.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ContractServer {
  baseUrl: string;
  close: () => Promise<void>;
}

interface Task {
  id: string;
  message: string;
  polls: number;
}

const TOKEN = 'tok-123';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function queryObject(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length > 1 ? all : (all[0] ?? '');
  }
  return out;
}

function sseEvents(task: Task): string[] {
  return [
    `id: 0\nevent: step\ndata: {"index":0,"status":"running","task_id":"${task.id}"}\n\n`,
    `id: 1\nevent: thinking\ndata: considering the question\n\n`,
    `id: 2\nevent: message\ndata: {"role":"assistant","content":"echo: ${task.message}"}\n\n`,
    `id: 3\ndata: {"note":"no event name"}\n\n`,
    `id: 4\nevent: step\ndata: {"index":0,"status":"ok","task_id":"${task.id}"}\n\n`,
    `id: 5\nevent: close\ndata: close\n\n`,
  ];
}

async function handle(req: IncomingMessage, res: ServerResponse, tasks: Map<string, Task>): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const body = await readBody(req);
  const route = `${method} ${url.pathname}`;
  const authorized = req.headers.authorization === `Bearer ${TOKEN}`;

  if (route === 'POST /api/auth/token') {
    const { api_key: apiKey } = JSON.parse(body.toString('utf8') || '{}') as { api_key?: string };
    if (apiKey !== 'demo-key') return sendJson(res, 401, { success: false, error: { code: 'bad_key' } });
    return sendJson(res, 200, { success: true, token: TOKEN, expires_in: 3600 });
  }
  if (route === 'POST /api/v1/messages') {
    if (!authorized) return sendJson(res, 401, { success: false, error: { code: 'unauthorized' } });
    const { message } = JSON.parse(body.toString('utf8')) as { message: string };
    const task: Task = { id: randomUUID(), message, polls: 0 };
    tasks.set(task.id, task);
    return sendJson(res, 202, {
      success: true, task_id: task.id, created_at: new Date().toISOString(), created: Math.floor(Date.now() / 1000),
    }, { location: `/api/v1/tasks/${task.id}` });
  }
  const taskMatch = /^\/api\/v1\/tasks\/([^/]+)(\/events)?$/.exec(url.pathname);
  if (method === 'GET' && taskMatch) {
    const task = tasks.get(taskMatch[1] ?? '');
    if (!task) return sendJson(res, 404, { success: false, error: { code: 'not_found', message: 'no such task' } });
    if (taskMatch[2]) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': ping\n\n');
      const from = Number(url.searchParams.get('from') ?? '0');
      for (const event of sseEvents(task).slice(from)) res.write(event);
      res.end();
      return;
    }
    task.polls += 1;
    const done = task.polls >= 3;
    return sendJson(res, 200, {
      task_id: task.id, status: done ? 'done' : 'running', polls: task.polls, ...(done ? { output: `echo: ${task.message}` } : {}),
    });
  }
  if (route === 'GET /api/stream') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.write('{"type": "assistant_text", "content": "Hel", "message_id": "m1"}\n');
    res.write(': heartbeat\n\n');
    res.write('{"type": "assistant_text", "content": "lo", "message_id": "m1"}\n{"type": "token_usage", "usage": {"total_tokens": 7}}\n');
    res.end('{"type": "stream_end", "total_stream_count": 3}');
    return;
  }
  if (route === 'GET /api/split-sse') {
    // CRLF line endings, a multi-line data field and frames cut mid-line across writes.
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const piece of ['event: delta\r\nda', 'ta: {"text":\r\ndata: "a"}\r\n\r\n', ':keepalive\r\n\r\nevent: done\r\nid: 9', '\r\ndata: line one\r\ndata: line two\r\n\r\n', 'event: lost\r\ndata: never closed']) {
      res.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
    return;
  }
  if (route === 'GET /api/split-ndjson') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const piece of ['{"n": 1}\r\n{"n"', ': 2, "s": "ü"}\n', 'not json\n\n[1, 2]\n', '"text line"\n{"n": 3}']) {
      res.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
    return;
  }
  if (route === 'GET /api/forever') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const tick = (): void => void res.write(`id: ${n}\nevent: tick\ndata: {"n":${n++}}\n\n`);
    tick();
    const timer = setInterval(tick, 20);
    res.on('close', () => clearInterval(timer));
    return;
  }
  if (route === 'GET /api/items') {
    return sendJson(res, 200, {
      total: 3,
      items: [
        { id: 'a1', kind: 'agent', score: 0.5, tags: ['x'] },
        { id: 'b2', kind: 'tool', score: 3, tags: [] },
        { id: 'c3', kind: 'agent', score: 10, tags: ['y', 'z'], $schema: 'https://json-schema.org/draft/2020-12/schema' },
      ],
      next: null,
      updated_ms: Date.now(),
      uuid_upper: randomUUID().toUpperCase(),
    });
  }
  if (url.pathname === '/echo' || url.pathname.startsWith('/prefix/echo')) {
    const text = body.toString('utf8');
    return sendJson(res, 200, { method, path: url.pathname, query: queryObject(url), headers: req.headers, body: text });
  }
  if (route === 'POST /api/upload') {
    const form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData();
    const fields: Record<string, string> = {};
    const files: unknown[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') fields[name] = value;
      else files.push({ field: name, filename: value.name, type: value.type, size: value.size, text: await value.text() });
    }
    return sendJson(res, 201, { fields, files });
  }
  if (route === 'GET /text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': 'req-42', 'x-count': '3' });
    res.end('hello contract world\n');
    return;
  }
  if (route === 'GET /redirect') {
    res.writeHead(302, { location: '/text' });
    res.end();
    return;
  }
  sendJson(res, 404, { success: false, error: { code: 'not_found' } });
}

export async function startContractServer(): Promise<ContractServer> {
  const tasks = new Map<string, Task>();
  const server: Server = createServer((req, res) => {
    handle(req, res, tasks).catch((error: unknown) => sendJson(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
