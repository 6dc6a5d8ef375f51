/**
 * The document's end-to-end example (token → abilities → detail → models →
 * create → stream → result → cancel) as a client runs it, with the stream
 * read by the `eventsource` package, the model on the local
 * OpenAI-compatible server calling a tool, on the memory and Redis stores.
 * Then what a client relies on when the network drops (resume with
 * Last-Event-ID) and when it cancels a running task mid-stream.
 */
import { describe, expect, it } from 'vitest';
import { chunk, textReply, toolCallReply } from '../support/openai-server.js';
import { jsonOf, readStream, useBitAgentGateway } from './client.js';

describe.each(['memory', 'redis'] as const)('the example flow on the %s store', (store) => {
  const setup = useBitAgentGateway(store);
  let token: string;

  const create = (question: string) =>
    setup.api.call('POST', '/task/create', {
      token,
      json: { ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question }, extensions: { llm_registry: 'mock' } },
    });

  it('runs the eight steps of the document unchanged', async () => {
    // Step 1: the API key, bare in Authorization as the document sends it, for a user token.
    const issued = await setup.api.call('POST', '/auth/user-token', {
      authorization: 'demo-api-key',
      json: { user_id: 'user_001', tenant_code: 'demo' },
    });
    expect(issued.status).toBe(200);
    expect(issued.body).toEqual({
      code: '200',
      message: '',
      data: { access_token: expect.stringMatching(/^eyJ/), token_type: 'Bearer', expires_in: 86400 },
    });
    token = issued.body.data.access_token;

    // Step 2: abilities, fuzzy by name, with the total beside the array.
    const abilities = await setup.api.call('POST', '/ability/page', { token, json: { page_index: 0, page_size: 10, name: 'DEMO' } });
    expect(abilities.body).toEqual({
      code: '200',
      message: '',
      data: [
        {
          id: 'demo-agent',
          name: 'Demo agent',
          description: expect.any(String),
          created_by_id: 'system',
          created_by_name: 'System',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/),
        },
      ],
      total: 1,
    });

    // Step 3: the ability's input and output schemas.
    const detail = await setup.api.call('GET', '/ability/detail/demo-agent', { token });
    expect(detail.body.data).toMatchObject({
      id: 'demo-agent',
      inputs: { type: 'object', required: ['question'] },
      outputs: { type: 'object', properties: { answer: { type: 'string' } } },
      config: { llm_registry: 'mock', tools: ['current_time', 'calculator'] },
    });

    // Step 4: the model names that llm_registry accepts.
    const models = await setup.api.call('GET', '/common/llm_names', { token });
    expect(models.body).toEqual({ code: '200', message: '', data: ['demo', 'mock'] });

    // Step 5: a task; the model calls the calculator, then answers in the output schema.
    setup.model.script([
      toolCallReply([{ id: 'call_1', name: 'calculator', arguments: '{"expression": "6*7"}' }]),
      { ...textReply('{"answer": "42"}', { pieces: 4 }), delayMs: 10 },
    ]);
    const created = await create('What is 6 times 7?');
    expect(created.body).toEqual({ code: '200', message: '', data: expect.stringMatching(/^task_/) });
    const taskId: string = created.body.data;

    // Step 6: the stream, through a real SSE client.
    const { frames } = await readStream(setup.api.url(`/task/stream/${taskId}`), token);
    expect(frames.at(-1)).toEqual({ event: 'close', data: 'close', id: expect.stringMatching(/^\d+$/) });
    const steps = jsonOf(frames, 'step');
    expect(steps.map((s) => [s.index, s.activity_name, s.status])).toEqual([
      [1, 'Model turn 1', 'waiting'],
      [2, 'calculator', 'waiting'],
      [3, 'Model turn 2', 'waiting'],
    ]);
    expect(steps[1]).toMatchObject({ activity_icon: expect.any(String), purpose: expect.stringContaining('6*7'), parent_id: steps[0].step_id });
    const updates = jsonOf(frames, 'step-event');
    const tool = updates.filter((u) => u.step_id === steps[1].step_id);
    expect(tool.map((u) => u.status)).toEqual(['running', 'ok']);
    expect(tool[1]).toMatchObject({ outputs: { expression: '6*7', result: 42 }, screenshots: [], files: [], labels: [], datas: [] });
    const last = updates.filter((u) => u.step_id === steps[2].step_id);
    expect(last.map((u) => u.status)).toEqual(['running', 'ok']);
    expect(last[1].outputs).toEqual({ answer: '42' });
    expect(frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('{"answer": "42"}');
    // Every frame but close has an id: `<offset>` ends an event's frames, `<offset>.<n>` comes before.
    const ids = frames.slice(0, -1).map((f) => f.id);
    expect(ids.every((id) => /^\d+(\.\d+)?$/.test(id))).toBe(true);
    const order = ids.map((id) => id.split('.').map(Number)).map(([offset, n]) => offset! * 1000 + (n ?? 999));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    // Step 7: the result, with every field of the document.
    const result = await setup.api.call('GET', `/task/detail/${taskId}`, { token });
    expect(result.body.data).toEqual({
      id: taskId,
      ability_id: 'demo-agent',
      ability_name: 'Demo agent',
      executor_type: 'cloud',
      executor_id: null,
      state: 'success',
      error_message: null,
      created_by: { id: 'user_001', name: 'user_001' },
      created_at: expect.any(String),
      started_at: expect.any(String),
      ended_at: expect.any(String),
      duration: expect.any(Number),
      inputs: { question: 'What is 6 times 7?' },
      outputs: { answer: '42' },
      extensions: { use_incognito: false, skip_error: false, close_browser: false, llm_registry: 'mock' },
      aux_infos: expect.objectContaining({ ability: expect.objectContaining({ id: 'demo-agent' }), llm_registry: 'mock' }),
    });
    expect(Number.isInteger(result.body.data.duration)).toBe(true);
    // The tool result went back to the model, and the model was asked for the output schema.
    expect(setup.model.requests.at(-1)!.body.messages.find((m: { role: string }) => m.role === 'tool')).toMatchObject({ tool_call_id: 'call_1' });
    expect(setup.model.requests.at(-1)!.body.response_format.json_schema.schema).toMatchObject({ required: ['answer'] });

    // Step 8: a finished task cannot be cancelled; the refusal is in the envelope.
    const cancel = await setup.api.call('POST', `/task/cancel/${taskId}`, { token });
    expect(cancel.status).toBe(409);
    expect(cancel.body).toEqual({ code: '409', message: expect.stringContaining('success'), data: null });

    // Joining the finished task replays everything and closes.
    const replay = await readStream(setup.api.url(`/task/stream/${taskId}`), token);
    expect(replay.frames).toEqual(frames);
  });

  it('resumes a dropped stream with Last-Event-ID: every frame once, in order', async () => {
    const answer = '{"answer": "one two three four five six seven eight"}';
    // Slow enough that the client (which waits 3 s before reconnecting) rejoins a task still running.
    setup.model.script([{ ...textReply(answer, { pieces: 14 }), delayMs: 300 }]);
    const created = await create('Count to eight');
    const taskId: string = created.body.data;

    const dropped = await readStream(setup.api.url(`/task/stream/${taskId}`), token, {
      cutWhen: (received) => (received.match(/event: message/g) ?? []).length >= 2,
    });
    // The client reconnected once, naming the last id it had.
    expect(dropped.lastEventIds).toHaveLength(2);
    expect(dropped.lastEventIds[0]).toBeUndefined();
    expect(dropped.lastEventIds[1]).toMatch(/^\d+$/);

    const full = await readStream(setup.api.url(`/task/stream/${taskId}`), token);
    expect(dropped.frames).toEqual(full.frames);
    expect(full.frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe(answer);
    const detail = await setup.api.call('GET', `/task/detail/${taskId}`, { token });
    expect(detail.body.data.outputs).toEqual({ answer: 'one two three four five six seven eight' });
  });

  it('cancels a running task mid-stream: the model call ends, the step is abandoned, the stream closes', async () => {
    setup.model.script([{ chunks: [chunk.delta({ role: 'assistant', content: '' }), chunk.text('{"answer": "par')], stall: true }]);
    const created = await create('Take your time');
    const taskId: string = created.body.data;
    let cancelled: Promise<unknown> | undefined;
    const { frames } = await readStream(setup.api.url(`/task/stream/${taskId}`), token, {
      onFrame: (frame) => {
        if (frame.event === 'message' && !cancelled) cancelled = setup.api.call('POST', `/task/cancel/${taskId}`, { token });
      },
    });
    expect(await cancelled).toMatchObject({ status: 200, body: { code: '200', data: taskId } });
    expect(frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('{"answer": "par');
    const updates = jsonOf(frames, 'step-event');
    expect(updates.at(-1)).toMatchObject({ status: 'abandoned' });
    expect(frames.at(-1)?.event).toBe('close');
    expect(await setup.model.requests.at(-1)!.outcome).toBe('client-closed');

    const detail = await setup.api.call('GET', `/task/detail/${taskId}`, { token });
    expect(detail.body.data).toMatchObject({ state: 'cancelled', outputs: null, ended_at: expect.any(String) });
  });
});
