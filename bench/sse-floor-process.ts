import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serveAsChild } from './server-child.js';

/**
 * Child process: the floor of every stream case. A bare node:http server
 * that sends what the gateway sent, with none of its work:
 * - a path in `bodies` is answered with those bytes in one write (the floor
 *   of a replay: the transport and the client's parsing, nothing else);
 * - any other path is held open as an SSE stream: the gateway's response
 *   headers, its first frames (`prefix`), then a `: ping` heartbeat on one
 *   timer shared by all streams, as the gateway's hub has;
 * - `pace` writes frames to every held stream at a steady interval, then
 *   ends them: the floor of the fan-out.
 */

export type SseFloorRequest =
  | { cmd: 'setup'; headers: Record<string, string>; prefix: string; heartbeatMs: number; bodies: Record<string, string> }
  | { cmd: 'pace'; frames: string[]; intervalMs: number };

type Setup = Extract<SseFloorRequest, { cmd: 'setup' }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

serveAsChild(async () => {
  let setup: Setup = { cmd: 'setup', headers: { 'content-type': 'text/event-stream' }, prefix: '', heartbeatMs: 15_000, bodies: {} };
  const held = new Set<ServerResponse>();
  let heartbeat: NodeJS.Timeout | undefined;
  const server = createServer((req, res) => {
    const body = setup.bodies[req.url ?? ''];
    res.writeHead(200, setup.headers);
    if (body !== undefined) {
      res.end(body);
      return;
    }
    res.write(setup.prefix);
    held.add(res);
    res.once('close', () => held.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const pace = async (frames: string[], intervalMs: number): Promise<null> => {
    // As the model server paces its deltas: each frame on its own deadline from the start.
    const start = performance.now();
    for (const [i, frame] of frames.entries()) {
      await sleep(Math.max(0, start + (i + 1) * intervalMs - performance.now()));
      for (const res of held) res.write(frame);
    }
    for (const res of held) res.end();
    return null;
  };

  return {
    port: (server.address() as AddressInfo).port,
    async handle(request) {
      const r = request as SseFloorRequest;
      if (r.cmd === 'pace') return pace(r.frames, r.intervalMs);
      setup = r;
      clearInterval(heartbeat);
      heartbeat = setInterval(() => {
        for (const res of held) res.write(': ping\n\n');
      }, r.heartbeatMs);
      heartbeat.unref();
      return null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
