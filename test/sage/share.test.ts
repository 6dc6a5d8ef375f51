import { describe, expect, it } from 'vitest';
import { chunk, textReply } from '../support/openai-server.js';
import { SageClient } from './client.js';
import { LineReader } from './line-reader.js';
import { useSageGateway, webStreamBody } from './setup.js';

const s = useSageGateway();
/** Anyone with the link: no token, no cookie. */
const visitor = () => new SageClient(s.gw.baseUrl);

async function chat(client: SageClient, sessionId: string, content: string): Promise<void> {
  const reader = await LineReader.open(client, 'POST', '/api/web-stream', webStreamBody(sessionId, content));
  await reader.done;
}

const shareView = (sessionId: string) => `/api/share/conversations/${sessionId}/messages`;

describe('the shared conversation view', () => {
  it('shows a conversation without a login only while its owner shares it', async () => {
    const sessionId = `session_${Date.now()}_shared`;
    s.model.script([textReply('Tides follow the moon.')]);
    await chat(s.alice, sessionId, 'why are there tides?');

    const before = await visitor().get(shareView(sessionId));
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ success: false, code: 404, error_detail: 'not_found' });

    const marked = await s.alice.post(`/api/conversations/${sessionId}/share`, { shared: true });
    expect(marked.body).toMatchObject({ success: true, code: 200, data: { session_id: sessionId, shared: true, share_path: shareView(sessionId) } });
    const view = await visitor().get(shareView(sessionId));
    expect(view.status).toBe(200);
    expect(view.body.data).toMatchObject({ conversation_id: sessionId, message_count: 2, conversation_info: { session_id: sessionId } });
    expect(view.body.data.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ['user', 'why are there tides?'],
      ['assistant', 'Tides follow the moon.'],
    ]);
    // Timestamps are plain numbers in a JSON envelope, as in the owner's own view.
    expect(typeof view.body.data.messages[0].timestamp).toBe('number');
    expect(view.body.data).not.toHaveProperty('next_stream_index');

    expect((await s.alice.post(`/api/conversations/${sessionId}/share`, { shared: false })).body.data).toMatchObject({ shared: false, share_path: null });
    expect((await visitor().get(shareView(sessionId))).status).toBe(404);
  });

  it('only the owner may share; a deleted conversation is no longer shown; one id shared by one user at a time', async () => {
    const sessionId = `session_${Date.now()}_owner`;
    s.model.script([textReply('alice\'s answer'), textReply('bob\'s answer')]);
    await chat(s.alice, sessionId, 'alice asks');
    expect((await s.bob.post(`/api/conversations/${sessionId}/share`, {})).status).toBe(404);
    expect((await s.alice.post(`/api/conversations/${sessionId}/share`, { shared: 'yes' })).status).toBe(400);
    expect((await s.alice.post(`/api/conversations/${sessionId}/share`, {})).body.data.shared).toBe(true);

    // Bob has a conversation of the same id (ids are per user): the link stays alice's.
    await chat(s.bob, sessionId, 'bob asks');
    const taken = await s.bob.post(`/api/conversations/${sessionId}/share`, {});
    expect(taken.status).toBe(409);
    expect((await visitor().get(shareView(sessionId))).body.data.messages[0].content).toBe('alice asks');

    expect((await s.alice.call('DELETE', `/api/conversations/${sessionId}`)).status).toBe(200);
    expect((await visitor().get(shareView(sessionId))).status).toBe(404);
    // Once alice's is gone, bob may share his.
    expect((await s.bob.post(`/api/conversations/${sessionId}/share`, {})).status).toBe(200);
    expect((await visitor().get(shareView(sessionId))).body.data.messages[0].content).toBe('bob asks');
  });

  it('leaves out messages marked hidden_from_chat, in the owner\'s view and the shared one', async () => {
    const sessionId = `session_${Date.now()}_hidden`;
    s.model.script([{ chunks: [chunk.text('Working. '), ...chunk.toolCall({ id: 'c1', name: 'calculator', arguments: '{"expression": "1+1"}' }), chunk.finish('tool_calls')], delayMs: 150 }, textReply('Two.')]);
    const reader = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, '1+1?'));
    await reader.atLeast(1);
    expect((await s.alice.post(`/api/sessions/${sessionId}/inject-user-message`, { content: 'internal note', metadata: { hidden_from_chat: true } })).status).toBe(200);
    await reader.done;
    // The model read it; the chat views do not show it.
    expect(JSON.stringify(s.model.requests.at(-1)!.body.messages)).toContain('internal note');
    await s.alice.post(`/api/conversations/${sessionId}/share`, {});
    for (const [client, path] of [
      [s.alice, `/api/conversations/${sessionId}/messages`],
      [visitor(), shareView(sessionId)],
    ] as const) {
      const data = (await client.get(path)).body.data;
      expect(JSON.stringify(data.messages)).not.toContain('internal note');
      expect(data.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    }
  });
});
