/**
 * Where a bit-Agent task stream stands: every frame's `id:` is its place in
 * the task's stream (0, 1, 2, …), so `Last-Event-ID` resumes exactly after
 * any frame, on a finished task and a live one, on both stores; a place the
 * stream never had is told as such. Many streams of one task share one live
 * feed and one rendering of each frame.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { textReply } from '../support/openai-server.js';
import { readSse } from '../support/sse-read.js';
import { readStream, useBitAgentGateway } from './client.js';

describe.each(['memory', 'redis'] as const)('bit-Agent stream positions on the %s store', (store) => {
  const setup = useBitAgentGateway(store);
  let token: string;
  beforeAll(async () => {
    token = await setup.api.token('positions-user');
  });

  const create = async (question: string): Promise<string> => {
    const created = await setup.api.call('POST', '/task/create', {
      token,
      json: { ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question }, extensions: { llm_registry: 'mock' } },
    });
    expect(created.status).toBe(200);
    return created.body.data as string;
  };
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('numbers every frame 0, 1, 2, … and resumes after any of them with exactly the rest', async () => {
    setup.model.script([textReply('{"answer": "a b c d e"}', { pieces: 5 })]);
    const taskId = await create('five words');
    const full = (await readStream(setup.api.url(`/task/stream/${taskId}`), token)).frames;
    expect(full.map((f) => f.id)).toEqual(full.map((_, i) => String(i)));
    expect(full.at(-1)).toMatchObject({ event: 'close', data: 'close' });

    for (let last = 0; last < full.length - 1; last++) {
      const resumed = await readSse(setup.api.url(`/task/stream/${taskId}`), { ...auth(), 'last-event-id': String(last) });
      expect({ last, frames: resumed.frames }).toEqual({ last, frames: full.slice(last + 1) });
    }
    // The query form, for clients that cannot set headers.
    expect((await readSse(setup.api.url(`/task/stream/${taskId}?last_event_id=2`), auth())).frames).toEqual(full.slice(3));
  });

  it('tells a client holding every frame that the stream is over, and one beyond the end that it is', async () => {
    setup.model.script([textReply('{"answer": "short"}')]);
    const taskId = await create('short');
    const full = (await readStream(setup.api.url(`/task/stream/${taskId}`), token)).frames;
    const lastId = full.length - 1;

    const atEnd = await readSse(setup.api.url(`/task/stream/${taskId}`), { ...auth(), 'last-event-id': String(lastId) });
    // `close` again, with no id: the client's place does not move.
    expect(atEnd).toEqual({ status: 200, frames: [{ event: 'close', data: 'close', id: '' }] });

    const beyond = await readSse(setup.api.url(`/task/stream/${taskId}`), { ...auth(), 'last-event-id': String(lastId + 5) });
    expect(beyond.status).toBe(200);
    expect(beyond.frames).toEqual([
      { event: 'error', data: `Last-Event-ID ${lastId + 5} is beyond this task's stream: it has ${full.length} frames so far`, id: '' },
      { event: 'close', data: 'close', id: '' },
    ]);
  });

  it('gives a dozen live streams of one task the same frames from one feed, each frame rendered once', async () => {
    setup.model.script([{ ...textReply('{"answer": "one two three four five six seven eight"}', { pieces: 10 }), delayMs: 60 }]);
    const before = setup.gw.gateway.views.stats();
    const taskId = await create('share');
    const streams = Array.from({ length: 12 }, (_, i) =>
      readStream(setup.api.url(`/task/stream/${taskId}`), token, i === 0 ? { cutWhen: (got) => (got.match(/event: message/g) ?? []).length >= 3 } : {}),
    );
    // While they all read the running task: one live feed of its log for all of them.
    for (let i = 0; i < 200 && setup.gw.gateway.views.stats().readers - before.readers < 12; i++) await new Promise((r) => setTimeout(r, 10));
    const during = setup.gw.gateway.views.stats();
    expect(during.readers - before.readers).toBeGreaterThanOrEqual(11);
    expect(during.feeds - before.feeds).toBe(1);

    const results = await Promise.all(streams);
    const full = results[1]!.frames;
    expect(full.at(-1)?.event).toBe('close');
    // The dropped one reconnected with its last id and got the rest, nothing twice.
    expect(results[0]!.lastEventIds).toHaveLength(2);
    for (const result of results) expect(result.frames).toEqual(full);
    const after = setup.gw.gateway.views.stats();
    expect(after.rendered - before.rendered).toBe(full.length);
    expect(after.feeds).toBe(before.feeds);
  });
});
