import { ServerChild } from './server-child.js';
import { flushAll } from './redis-probe.js';

/**
 * The gateway as the bench drives it: its own process (gateway-process.ts)
 * and its public HTTP API, nothing else. The users, tokens and agent are the
 * ones bench/config/gateway.yaml declares.
 */

export type StoreKind = 'memory' | 'redis';

export const POLL_TOKEN = 'bench-token-poller';
export const POLL_USER = 'poller';
export const STREAM_TOKEN = 'bench-token-streamer';
const AGENT = 'bench-agent';

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A bit-Agent task's SSE stream (config/dialects/bitagent.yaml, under the dialect's /api prefix). */
export const taskStreamPath = (taskId: string): string => `/api/v3/openapi/task/stream/${taskId}`;

/** An Agents API v1 poll of a task from its first event. */
export const pollPath = (taskId: string): string => `/api/v1/tasks/${taskId}?from=0`;

/**
 * Starts a gateway child on `store`. A Redis gateway starts on an emptied
 * server, so no run sees another's tasks, leases or per-user counts.
 */
export async function startGateway(store: StoreKind, redisUrl: string, modelUrl: string): Promise<ServerChild> {
  if (store === 'redis') await flushAll(redisUrl);
  return ServerChild.start(`gateway (${store})`, 'gateway-process.js', ['--store', store, '--redis-url', redisUrl, '--model-url', modelUrl]);
}

async function call(port: number, method: string, path: string, token: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** Creates a bit-Agent cloud task whose single input is `text` (the model's user message); answers its id. */
export async function createBitAgentTask(port: number, text: string): Promise<string> {
  const answer = (await call(port, 'POST', '/api/v3/openapi/task/create', STREAM_TOKEN, {
    ability_id: AGENT,
    executor_type: 'cloud',
    inputs: { text },
  })) as { data?: unknown };
  if (typeof answer.data !== 'string') throw new Error(`task/create answered ${JSON.stringify(answer).slice(0, 300)}`);
  return answer.data;
}

/** Sends an Agents API v1 message and polls its task until it has ended; answers the task id and its last poll body. */
export async function runV1Task(port: number, text: string, timeoutMs = 30_000): Promise<{ taskId: string; body: PollBody }> {
  const sent = (await call(port, 'POST', '/api/v1/messages', POLL_TOKEN, { message: text })) as { task_id?: unknown };
  if (typeof sent.task_id !== 'string') throw new Error(`messages answered ${JSON.stringify(sent).slice(0, 300)}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await call(port, 'GET', pollPath(sent.task_id), POLL_TOKEN)) as PollBody;
    if (body.data?.status !== 'running') return { taskId: sent.task_id, body };
    if (Date.now() > deadline) throw new Error(`task ${sent.task_id} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface PollBody {
  success?: boolean;
  data?: { status?: string; events?: unknown[] };
}
