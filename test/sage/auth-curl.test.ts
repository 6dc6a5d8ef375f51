/**
 * The document's curl examples 2–6 as written, with the cookie jar of
 * example 2 as the only credential (`curl -c` / `-b cookies.txt`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { SageClient, startSageGateway } from './client.js';

let model: OpenAIServer;
let gw: TestGateway;
beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startSageGateway({ modelUrl: model.url });
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

const lines = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('curl examples with a cookie jar only', () => {
  it('2 login, 3 session, 4 chat, 5 resume, 6 create an agent', async () => {
    const jar = new SageClient(gw.baseUrl);
    const login = await jar.post('/api/auth/login', { username_or_email: 'alice', password: 'alice-password' });
    expect(login.status, login.text).toBe(200);
    expect(jar.token).toBeUndefined();

    const session = await jar.get('/api/auth/session');
    expect(session.status, session.text).toBe(200);
    expect(session.body.data.user.username).toBe('alice');

    model.script([textReply('The repository has src and test.')]);
    const chat = await jar.post('/api/chat', {
      messages: [{ role: 'user', content: 'Summarize the repository structure.' }],
      session_id: 'sess_123',
      agent_id: 'demo-agent',
    });
    expect(chat.status, chat.text).toBe(200);
    const chatLines = lines(chat.text);
    expect(chatLines.at(-1)).toMatchObject({ type: 'stream_end', session_id: 'sess_123' });

    const resume = await jar.get('/api/stream/resume/sess_123', { query: { last_index: '15' } });
    expect(resume.status, resume.text).toBe(200);
    expect(lines(resume.text).at(-1)).toMatchObject({ type: 'stream_end' });

    const example6 = {
      name: 'Research Agent',
      systemPrefix: 'You are a careful research assistant.',
      availableTools: ['web_search'],
      availableSkills: ['market-research'],
      memoryType: 'session',
      maxLoopCount: 10,
    };
    // The cookie is accepted; this gateway has no web_search tool, which the agent routes refuse by name.
    const verbatim = await jar.post('/api/agent/create', example6);
    expect(verbatim.status).not.toBe(401);
    expect(verbatim.body).toMatchObject({ code: verbatim.status });
    const agent = await jar.post('/api/agent/create', { ...example6, availableTools: ['calculator'] });
    expect(agent.status, agent.text).toBe(200);
    expect(agent.body).toMatchObject({ success: true, code: 200 });
  });
});
