import { request } from 'node:http';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/engine/records.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { until } from '../engine/harness.js';
import { startStreamApp } from './stream-app.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };

describe('shared stream writers over real HTTP', () => {
  let gw: TestGateway;
  let app: Awaited<ReturnType<typeof startStreamApp>>;

  beforeAll(async () => {
    gw = await startTestGateway();
    app = await startStreamApp(gw.gateway.engine, gw.gateway.streams, alice);
  });
  afterAll(async () => {
    await app.close();
    await gw.stop();
  });

  const newTask = (text: string) => gw.gateway.engine.tasks.create(alice, { agentId: 'demo-agent', input: { text } });

  it('sends SSE frames with ids that a real EventSource client reads, then a close event', async () => {
    const task = await newTask('hello over SSE');
    const frames: { type: string; id: string; data: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const source = new EventSource(`${app.url}/sse/${task.id}`);
      for (const type of ['task.started', 'reasoning.delta', 'message.delta', 'task.finished', 'close']) {
        source.addEventListener(type, (e) => {
          frames.push({ type, id: e.lastEventId, data: e.data });
          if (type === 'close') {
            source.close();
            resolve();
          }
        });
      }
      source.onerror = () => reject(new Error('stream failed'));
    });
    const text = frames.filter((f) => f.type === 'message.delta').map((f) => (JSON.parse(f.data) as { text: string }).text).join('');
    expect(text).toContain('hello over SSE');
    expect(frames[0]).toMatchObject({ type: 'task.started', id: '0' });
    const ids = frames.filter((f) => f.type !== 'close').map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(frames.at(-2)?.type).toBe('task.finished');
  });

  it('resumes after Last-Event-ID with no event lost or repeated', async () => {
    const task = await newTask('resume me');
    await gw.gateway.engine.runner.settled(task.id);
    const all = await gw.gateway.engine.tasks.read(alice, task.id, 0, 1000);
    const cut = 4;
    const body = await fetch(`${app.url}/sse/${task.id}`, { headers: { 'Last-Event-ID': String(cut) } }).then((r) => r.text());
    const ids = [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    // One frame per event, numbered like the log, then `close` with the next number.
    expect(ids).toEqual([...all.events.slice(cut + 1).map((e) => e.offset), all.events.length]);
    expect(body.trimEnd()).toMatch(/event: close\nid: \d+\ndata: close$/);
  });

  it('writes NDJSON lines, one JSON document each', async () => {
    const task = await newTask('lines please');
    const res = await fetch(`${app.url}/ndjson/${task.id}`);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { i?: number; type: string });
    expect(lines.at(-1)).toEqual({ type: 'end' });
    expect(lines.slice(0, -1).map((l) => l.i)).toEqual(lines.slice(0, -1).map((_, i) => i));
  });

  it('sends heartbeats on a quiet stream and releases everything when the client leaves', async () => {
    // A remote task never runs here, so its stream stays quiet.
    const task = await gw.gateway.engine.tasks.create(alice, { agentId: 'demo-agent', input: { text: 'wait' }, executor: 'remote' });
    const before = gw.gateway.streams.size;
    const received = await new Promise<string>((resolve, reject) => {
      const req = request(`${app.url}/sse/${task.id}`, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes(': ping')) {
            req.destroy();
            resolve(text);
          }
        });
      });
      req.on('error', (err) => (err.message.includes('aborted') || err.message.includes('socket hang up') ? undefined : reject(err)));
      req.end();
    });
    expect(received).toContain(': ping\n\n');
    await until(async () => gw.gateway.streams.size === before);
    await gw.gateway.engine.tasks.cancel(alice, task.id);
  });
});
