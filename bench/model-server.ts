import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { chunk } from '../test/support/openai-server.js';

/**
 * How the model answers one task. The task's user message names its plan
 * (`plan:<name>` anywhere in it), so tasks created at the same time never
 * take each other's answer.
 * - `text`: a streamed answer of `pieces`, `intervalMs` apart (0: all in one
 *   write, as fast as the gateway can read), after `gate` when given, so a
 *   case can open its streams before the first delta is sent;
 * - `stall`: the answer's headers and then nothing, until the server closes:
 *   a running task that stays idle for as long as a case needs it.
 */
export type ModelPlan = { kind: 'text'; pieces: string[]; intervalMs: number; gate?: Promise<void> } | { kind: 'stall' };

/** A local OpenAI-compatible Chat Completions server (streamed answers only), on 127.0.0.1. */
export interface ModelServer {
  /** Base URL ending in `/v1`, for the bench config's `base_url`. */
  url: string;
  /** Registers a plan; the returned promise resolves when the model request for it has arrived. */
  plan(name: string, plan: ModelPlan): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startModelServer(): Promise<ModelServer> {
  const plans = new Map<string, { plan: ModelPlan; arrived: () => void }>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const name = /plan:([\w-]+)/.exec(Buffer.concat(parts).toString('utf8'))?.[1];
      const entry = name === undefined ? undefined : plans.get(name);
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions') || !entry) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no plan for ${req.method} ${req.url} (${name ?? 'no plan named'})` } }));
        return;
      }
      entry.arrived();
      void answer(entry.plan, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    plan: (name, plan) => new Promise((arrived) => plans.set(name, { plan, arrived })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const frame = (step: unknown): string => `data: ${JSON.stringify(step)}\n\n`;

async function answer(plan: ModelPlan, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  if (plan.kind === 'stall') return;
  res.write(frame(chunk.delta({ role: 'assistant', content: '' })));
  await plan.gate;
  const tail = frame(chunk.finish('stop')) + frame(chunk.usage(10, plan.pieces.length)) + 'data: [DONE]\n\n';
  if (plan.intervalMs === 0) {
    res.end(plan.pieces.map((piece) => frame(chunk.text(piece))).join('') + tail);
    return;
  }
  // Each piece on its own timer from the start, so the pace does not drift with the time each write takes.
  const start = performance.now();
  for (const [i, piece] of plan.pieces.entries()) {
    await sleep(Math.max(0, start + (i + 1) * plan.intervalMs - performance.now()));
    if (res.destroyed) return;
    res.write(frame(chunk.text(piece)));
  }
  res.end(tail);
}
