import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killGatewayProcesses, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { readSse, type ReadFrame } from '../support/sse-read.js';

/**
 * Positions are a function of the log alone: after a SIGKILL and a restart
 * on the same durable store, a process that never saw the task live numbers
 * its frames as the first did, so a bit-Agent client resuming with
 * `Last-Event-ID` and an Agents v1 client resuming with `from` get exactly
 * the rest.
 */

const alice = { authorization: 'Bearer demo-token-alice' };
const dataDir = mkdtempSync(join(tmpdir(), 'sb-positions-'));
afterAll(async () => {
  killGatewayProcesses();
  await rm(dataDir, { recursive: true, force: true });
});

const startGateway = () => startGatewayProcess({ env: { SWITCHBOARD_DATA_DIR: dataDir } });

interface V1Page {
  status: string;
  events: { idx: number; type: string }[];
  next_offset: number;
}

async function poll(gw: GatewayProcess, taskId: string, from: number): Promise<V1Page> {
  const res = await fetch(`${gw.base}/api/v1/tasks/${taskId}?from=${from}`, { headers: alice });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: V1Page }).data;
}

async function bitAgentToken(gw: GatewayProcess): Promise<string> {
  const res = await fetch(`${gw.base}/api/v3/openapi/auth/user-token`, {
    method: 'POST',
    headers: { authorization: 'demo-api-key', 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'alice', tenant_code: 'demo' }),
  });
  return ((await res.json()) as { data: { access_token: string } }).data.access_token;
}

async function stream(gw: GatewayProcess, taskId: string, lastEventId?: number): Promise<ReadFrame[]> {
  const headers: Record<string, string> = { authorization: `Bearer ${await bitAgentToken(gw)}` };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  return (await readSse(`${gw.base}/api/v3/openapi/task/stream/${taskId}`, headers)).frames;
}

describe('stream positions across a restart of the default store', () => {
  it('resumes both APIs exactly after the frame a client had, in a new process', { timeout: 60_000 }, async () => {
    const first = await startGateway();
    const sent = await fetch(`${first.base}/api/v1/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'count what survives' }),
    });
    const { task_id: taskId } = (await sent.json()) as { task_id: string };
    let whole: V1Page;
    do whole = await poll(first, taskId, 0);
    while (whole.status === 'running');
    const frames = await stream(first, taskId);
    expect(frames.at(-1)?.event).toBe('close');

    await first.kill();
    const restarted = await startGateway();
    for (const from of [1, Math.floor(whole.events.length / 2), whole.events.length - 1]) {
      expect(await poll(restarted, taskId, from)).toMatchObject({ events: whole.events.slice(from), next_offset: whole.events.length });
    }
    for (const last of [0, Math.floor(frames.length / 2), frames.length - 2]) {
      expect({ last, frames: await stream(restarted, taskId, last) }).toEqual({ last, frames: frames.slice(last + 1) });
    }
  });
});
