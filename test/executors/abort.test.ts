/**
 * Cancellation: aborting the run's signal stops the model call at once (the
 * server sees its connection closed), keeps what was said so far in the
 * closing events, and rejects with the signal's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tool } from '../../src/executors/executor.js';
import { chunk, startOpenAIServer, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { ofType, openaiModel, run, types } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

const CANCEL = new Error('cancelled by request');

describe('abort', () => {
  it('keeps the partial text in message.completed, rejects with the reason, and closes the connection', async () => {
    server.script([{ chunks: [chunk.text('The first part, '), chunk.text('then more.')], stall: true }]);
    const controller = new AbortController();
    let deltas = 0;
    const { error, events, result } = await run({
      model: openaiModel(server.url),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'message.delta' && ++deltas === 2) controller.abort(CANCEL);
      },
    });
    expect(result).toBeUndefined();
    expect(error).toBe(CANCEL);
    expect(types(events)).toEqual(['message.started', 'message.delta', 'message.delta', 'message.completed']);
    expect(ofType(events, 'message.completed')[0]?.text).toBe('The first part, then more.');
    expect(await server.requests.at(-1)!.outcome).toBe('client-closed');
  });

  it('closes open reasoning with its partial text', async () => {
    server.script([{ chunks: [chunk.reasoning('Considering ')], stall: true }]);
    const controller = new AbortController();
    const { error, events } = await run({
      model: openaiModel(server.url),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'reasoning.delta') controller.abort(CANCEL);
      },
    });
    expect(error).toBe(CANCEL);
    expect(ofType(events, 'reasoning.completed').map((r) => r.text)).toEqual(['Considering ']);
    expect(ofType(events, 'message.started')).toEqual([]);
    expect(await server.requests.at(-1)!.outcome).toBe('client-closed');
  });

  it('aborts a request still waiting for its answer', async () => {
    server.script([{ chunks: [], stall: true }]);
    const controller = new AbortController();
    const before = server.requests.length;
    const pending = run({ model: openaiModel(server.url), signal: controller.signal });
    // Abort once the server has the request in hand.
    while (server.requests.length === before) await new Promise((r) => setTimeout(r, 5));
    controller.abort(CANCEL);
    const { error, events } = await pending;
    expect(error).toBe(CANCEL);
    expect(events).toEqual([]);
    expect(await server.requests[before]!.outcome).toBe('client-closed');
  });

  it('cancels a running tool and reports it as cancelled', async () => {
    let toolSignal: AbortSignal | undefined;
    const slow: Tool = {
      name: 'slow',
      description: 'never finishes on its own',
      parameters: { type: 'object' },
      run: (_args, ctx) => {
        toolSignal = ctx.signal;
        return new Promise(() => {});
      },
    };
    server.script([toolCallReply([{ id: 'c1', name: 'slow', arguments: '{}' }])]);
    const controller = new AbortController();
    const { error, events } = await run({
      model: openaiModel(server.url),
      tools: [slow],
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'tool.started') setTimeout(() => controller.abort(CANCEL), 10);
      },
    });
    expect(error).toBe(CANCEL);
    expect(toolSignal?.aborted).toBe(true);
    expect(ofType(events, 'tool.completed')).toEqual([{ callId: 'c1', name: 'slow', status: 'cancelled', result: null }]);
  });

  it('stops waiting between retries', async () => {
    server.script([{ status: 503, body: 'busy', retryAfter: 20 }]);
    const controller = new AbortController();
    const pending = run({ model: openaiModel(server.url), signal: controller.signal });
    const before = server.requests.length;
    while (server.requests.length === before) await new Promise((r) => setTimeout(r, 5));
    setTimeout(() => controller.abort(CANCEL), 20);
    const { error } = await pending;
    expect(error).toBe(CANCEL);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(CANCEL);
    const before = server.requests.length;
    const { error, events } = await run({ model: openaiModel(server.url), signal: controller.signal });
    expect(error).toBe(CANCEL);
    expect(events).toEqual([]);
    expect(server.requests.length).toBe(before);
  });
});
