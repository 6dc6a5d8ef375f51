import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killGatewayProcesses, startGatewayProcess } from '../support/gateway-process.js';

/**
 * The gateway as `npm start` runs it, on its default store, killed with
 * SIGKILL (no shutdown, no flush) and started again on the same data_dir:
 * everything the first process acknowledged over HTTP is still there.
 */

const alice = { authorization: 'Bearer demo-token-alice' };
const dataDir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
afterAll(async () => {
  killGatewayProcesses();
  await rm(dataDir, { recursive: true, force: true });
});

const startGateway = () => startGatewayProcess({ env: { SWITCHBOARD_DATA_DIR: dataDir } });

interface Poll {
  status: string;
  events: Array<{ type: string; data: Record<string, unknown> }>;
}

async function poll(base: string, taskId: string): Promise<{ status: number; data: Poll }> {
  const res = await fetch(`${base}/api/v1/tasks/${taskId}?from=0`, { headers: alice });
  return { status: res.status, data: ((await res.json()) as { data: Poll }).data };
}

async function pollToEnd(base: string, taskId: string): Promise<Poll> {
  for (let i = 0; i < 200; i++) {
    const { data } = await poll(base, taskId);
    if (data.status !== 'running') return data;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task ${taskId} did not end`);
}

async function send(base: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${base}/api/v1/messages`, {
    method: 'POST',
    headers: { ...alice, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the gateway on its default store, killed with SIGKILL', () => {
  it('has the task with its events, the conversation and the uploaded file after a restart', { timeout: 60_000 }, async () => {
    const first = await startGateway();
    expect(first.output()).toMatch(/sqlite store: .*one gateway instance only/);

    const sent = await send(first.base, { message: 'survive the crash' });
    expect(sent.status).toBe(202);
    const { task_id: taskId, conversation_id: conversationId } = (await sent.json()) as { task_id: string; conversation_id: string };
    const before = await pollToEnd(first.base, taskId);
    expect(before.status).toBe('succeeded');
    expect(before.events.length).toBeGreaterThan(0);

    const form = new FormData();
    form.append('file', new Blob(['kept across a kill -9\n']), 'notes.txt');
    const uploaded = await fetch(`${first.base}/api/v1/files/upload`, { method: 'POST', headers: alice, body: form });
    expect(uploaded.status).toBe(200);
    const listedBefore = (await (await fetch(`${first.base}/api/v1/files`, { headers: alice })).json()) as { items: unknown[] };

    // A second gateway on the same data_dir is refused while the first runs.
    await expect(startGateway()).rejects.toThrow(/in use by another process/);

    await first.kill();
    const restarted = await startGateway();

    const after = await poll(restarted.base, taskId);
    expect(after.status).toBe(200);
    expect(after.data.status).toBe('succeeded');
    expect(after.data.events).toEqual(before.events);

    // The conversation is still alice's: it takes another message, while an unknown one is refused.
    expect((await send(restarted.base, { message: 'x', conversation_id: 'conv_never_made' })).status).toBe(404);
    const again = await send(restarted.base, { message: 'still here?', conversation_id: conversationId });
    expect(again.status).toBe(202);
    const next = (await again.json()) as { task_id: string; conversation_id: string };
    expect(next.conversation_id).toBe(conversationId);
    expect((await pollToEnd(restarted.base, next.task_id)).status).toBe('succeeded');

    const listed = (await (await fetch(`${restarted.base}/api/v1/files`, { headers: alice })).json()) as { items: Array<{ name: string }> };
    expect(listed.items).toEqual(listedBefore.items);
    expect(listed.items.map((i) => i.name)).toContain('notes.txt');
    const download = await fetch(`${restarted.base}/api/v1/files/download?path=notes.txt`, { headers: alice });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('kept across a kill -9\n');
    await restarted.kill();
  });
});
