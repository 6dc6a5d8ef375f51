import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * One user, one engine: a task started through one API is the same task,
 * with the same conversation, through another.
 */
describe('the same task through two APIs', () => {
  let gw: TestGateway;
  const alice = { authorization: 'Bearer demo-token-alice' };
  const bob = { authorization: 'Bearer demo-token-bob' };
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  async function pollToEnd(taskId: string): Promise<{ status: string; events: { type: string; data: Record<string, unknown> }[] }> {
    const events: { type: string; data: Record<string, unknown> }[] = [];
    let from = 0;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${gw.baseUrl}/api/v1/tasks/${taskId}?from=${from}`, { headers: alice });
      const body = (await res.json()) as { data: { status: string; events: typeof events; next_offset: number } };
      events.push(...body.data.events);
      from = body.data.next_offset;
      if (body.data.status !== 'running') return { status: body.data.status, events };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('task did not end');
  }

  it('a task sent through Agents v1 is read through bit-Agent, and one created through bit-Agent is polled through Agents v1', async () => {
    const sent = await fetch(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'seen from everywhere' }),
    });
    expect(sent.status).toBe(202);
    const { task_id: v1Task } = (await sent.json()) as { task_id: string };
    const polled = await pollToEnd(v1Task);
    expect(polled.status).toBe('succeeded');

    const detail = await fetch(`${gw.baseUrl}/api/v3/openapi/task/detail/${v1Task}`, { headers: alice });
    expect(detail.status).toBe(200);
    expect(await detail.json()).toMatchObject({ code: '200', data: { id: v1Task, ability_id: 'demo-agent', state: 'success' } });
    // Another user of the same tenant cannot see it through either API.
    expect((await fetch(`${gw.baseUrl}/api/v3/openapi/task/detail/${v1Task}`, { headers: bob })).status).toBe(404);
    expect((await fetch(`${gw.baseUrl}/api/v1/tasks/${v1Task}`, { headers: bob })).status).toBe(404);

    const created = await fetch(`${gw.baseUrl}/api/v3/openapi/task/create`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'and back again' } }),
    });
    const { data: bitTask } = (await created.json()) as { data: string };
    const across = await pollToEnd(bitTask);
    expect(across.status).toBe('succeeded');
    const text = across.events.filter((e) => e.type === 'text_chunk').map((e) => e.data.content).join('');
    expect(text).toContain("Switchboard's demo model");
  });

  it('the conversation of an Agents v1 task holds the messages as they landed', async () => {
    const sent = await fetch(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'remember me' }),
    });
    const { task_id: taskId, conversation_id: conversationId } = (await sent.json()) as { task_id: string; conversation_id: string };
    await pollToEnd(taskId);
    const principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' as const };
    const messages = await gw.gateway.engine.conversations.messages(principal, conversationId);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[0]?.content).toBe('remember me');
  });
});
