import { describe, expect, it } from 'vitest';
import { chunk, textReply } from '../support/openai-server.js';
import type { SageClient } from './client.js';
import { LineReader, textOf, type Line } from './line-reader.js';
import { useSageGateway, webStreamBody } from './setup.js';

const s = useSageGateway();

/** The rerun body the chat page sends (no messages). */
const rerunBody = { agent_mode: 'simple', more_suggest: false, max_loop_count: 10, agent_id: 'demo-agent', system_context: { response_language: 'en' } };

async function streamed(client: SageClient, path: string, json: unknown): Promise<Line[]> {
  const reader = await LineReader.open(client, 'POST', path, json);
  expect(reader.response.status).toBe(200);
  await reader.done;
  return reader.lines;
}

async function snapshot(client: SageClient, sessionId: string) {
  const reply = await client.get(`/api/conversations/${sessionId}/messages`);
  expect(reply.status).toBe(200);
  return reply.body.data as { messages: Line[]; message_count: number; next_stream_index: number };
}

const said = (messages: Line[]) => messages.map((m) => [m.role, m.content]);
/** What the model was sent last, as [role, content] pairs without the system prompt. */
const lastPrompt = () => (s.model.requests.at(-1)!.body.messages as { role: string; content: string }[]).filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);

describe('POST /api/conversations/{id}/rerun-stream', () => {
  it('answers the last user message again: the old reply goes, the message is not repeated, indexes agree', async () => {
    const sessionId = `session_${Date.now()}_rerun`;
    s.model.script([textReply('first answer'), textReply('second answer')]);
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'what is new?'));

    const lines = await streamed(s.alice, `/api/conversations/${sessionId}/rerun-stream`, rerunBody);
    expect(textOf(lines)).toBe('second answer');
    expect(lines.at(-1)).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: lines.length - 1 });
    // The model saw the question once, without the reply it is replacing.
    expect(lastPrompt()).toEqual([['user', 'what is new?']]);

    const snap = await snapshot(s.alice, sessionId);
    expect(said(snap.messages)).toEqual([
      ['user', 'what is new?'],
      ['assistant', 'second answer'],
    ]);
    // A resume from the snapshot's index gets nothing already shown.
    const resumed = await LineReader.open(s.alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(snap.next_stream_index) });
    await resumed.done;
    expect(resumed.lines.filter((l) => l.type !== 'stream_end')).toEqual([]);
  });

  it('interrupts a reply still running, then answers again', async () => {
    const sessionId = `session_${Date.now()}_rerun_running`;
    s.model.script([{ chunks: [chunk.text('a slow start')], stall: true }, textReply('the fresh answer')]);
    const old = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'tell me a story'));
    await old.atLeast(1);

    const lines = await streamed(s.alice, `/api/conversations/${sessionId}/rerun-stream`, rerunBody);
    await old.done;
    expect(old.lines.at(-1)).toMatchObject({ type: 'stream_end' });
    expect(textOf(lines)).toBe('the fresh answer');
    // The interrupted run's partial answer was kept when it stopped, then replaced by the rerun.
    expect(lastPrompt()).toEqual([['user', 'tell me a story']]);
    expect(said((await snapshot(s.alice, sessionId)).messages)).toEqual([
      ['user', 'tell me a story'],
      ['assistant', 'the fresh answer'],
    ]);
  });

  it('with guidance_content answers that as a new user message', async () => {
    const sessionId = `session_${Date.now()}_rerun_guided`;
    s.model.script([textReply('long answer'), textReply('short answer')]);
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'explain tides'));
    const lines = await streamed(s.alice, `/api/conversations/${sessionId}/rerun-stream`, { ...rerunBody, guidance_content: 'shorter, please', guidance_id: 'g-1' });
    expect(textOf(lines)).toBe('short answer');
    expect(lastPrompt()).toEqual([
      ['user', 'explain tides'],
      ['assistant', 'long answer'],
      ['user', 'shorter, please'],
    ]);
  });

  it('refuses in Sage\'s envelope: another user\'s or an unknown session (404), a bad override (400)', async () => {
    const sessionId = `session_${Date.now()}_rerun_owner`;
    s.model.script([textReply('mine')]);
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'private question'));
    const foreign = await s.bob.post(`/api/conversations/${sessionId}/rerun-stream`, rerunBody);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ success: false, code: 404, error_detail: 'not_found' });
    expect((await s.alice.post('/api/conversations/session_nope/rerun-stream', rerunBody)).status).toBe(404);
    const bad = await s.alice.post(`/api/conversations/${sessionId}/rerun-stream`, { ...rerunBody, max_loop_count: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 400 });
    // Nothing of the refused calls touched the conversation.
    expect(said((await snapshot(s.alice, sessionId)).messages)).toEqual([
      ['user', 'private question'],
      ['assistant', 'mine'],
    ]);
  });
});

describe('POST /api/conversations/{id}/edit-last-user-message', () => {
  it('changes the last user message and drops its reply; the rerun answers the edited text', async () => {
    const sessionId = `session_${Date.now()}_edit`;
    s.model.script([textReply('one'), textReply('two'), textReply('answer to the edit')]);
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'first question'));
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'second question with a typo'));

    const edited = await s.alice.post(`/api/conversations/${sessionId}/edit-last-user-message`, { content: 'second question, fixed' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ success: true, code: 200, data: { session_id: sessionId, content: 'second question, fixed' } });
    // What the UI loads next: the edited message is the last one.
    expect(said((await snapshot(s.alice, sessionId)).messages)).toEqual([
      ['user', 'first question'],
      ['assistant', 'one'],
      ['user', 'second question, fixed'],
    ]);

    const lines = await streamed(s.alice, `/api/conversations/${sessionId}/rerun-stream`, rerunBody);
    expect(textOf(lines)).toBe('answer to the edit');
    expect(lastPrompt()).toEqual([
      ['user', 'first question'],
      ['assistant', 'one'],
      ['user', 'second question, fixed'],
    ]);
  });

  it('stops a reply still running before it edits, so nothing of that reply lands after the edit', async () => {
    const sessionId = `session_${Date.now()}_edit_running`;
    s.model.script([{ chunks: [chunk.text('half of it')], stall: true }]);
    const running = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'a question'));
    await running.atLeast(1);
    expect((await s.alice.post(`/api/conversations/${sessionId}/edit-last-user-message`, { content: 'a better question' })).status).toBe(200);
    await running.done;
    expect(said((await snapshot(s.alice, sessionId)).messages)).toEqual([['user', 'a better question']]);
  });

  it('refuses empty content (400) and another user\'s session (404)', async () => {
    const sessionId = `session_${Date.now()}_edit_refused`;
    s.model.script([textReply('ok')]);
    await streamed(s.alice, '/api/web-stream', webStreamBody(sessionId, 'hello'));
    for (const body of [{}, { content: '' }, { content: '   ' }, { content: 42 }]) {
      const reply = await s.alice.post(`/api/conversations/${sessionId}/edit-last-user-message`, body);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code: 400, error_detail: 'invalid_argument' });
    }
    expect((await s.bob.post(`/api/conversations/${sessionId}/edit-last-user-message`, { content: 'mine now' })).status).toBe(404);
    expect(said((await snapshot(s.alice, sessionId)).messages)).toEqual([
      ['user', 'hello'],
      ['assistant', 'ok'],
    ]);
  });
});
