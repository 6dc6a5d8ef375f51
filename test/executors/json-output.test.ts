/** JSON outputs: asked for with response_format, parsed from the final text, checked against the schema. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorError } from '../../src/executors/executor.js';
import { checkOutputs } from '../../src/executors/json-output.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { openaiModel, run } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

const schema = {
  type: 'object',
  properties: { title: { type: 'string' }, score: { type: 'number' }, email: { type: 'string', format: 'email' } },
  required: ['title', 'score'],
};

describe('json outputs', () => {
  it('asks for the schema with response_format and returns the parsed outputs', async () => {
    server.script([textReply('{"title": "Report", "score": 7.5}')]);
    const { result } = await run({ model: openaiModel(server.url), outputSchema: schema });
    expect(result?.outputs).toEqual({ title: 'Report', score: 7.5 });
    expect(server.requests.at(-1)!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'outputs', schema, strict: false },
    });
  });

  it('accepts JSON inside a ```json fence', async () => {
    server.script([textReply('```json\n{"title": "Fenced", "score": 1}\n```')]);
    const { result } = await run({ model: openaiModel(server.url), outputSchema: schema });
    expect(result?.outputs).toEqual({ title: 'Fenced', score: 1 });
  });

  it('fails with invalid_output when the outputs do not match the schema', async () => {
    server.script([textReply('{"title": "No score", "email": "not-an-email"}')]);
    const { error } = await run({ model: openaiModel(server.url), outputSchema: schema });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('invalid_output');
    expect((error as Error).message).toContain("must have required property 'score'");
    expect((error as Error).message).toContain('must match format "email"');
  });

  it('fails with invalid_output when the answer is not JSON', async () => {
    server.script([textReply('Sure! Here is the report.')]);
    const { error } = await run({ model: openaiModel(server.url), outputSchema: schema });
    expect((error as ExecutorError).code).toBe('invalid_output');
  });

  it('lets per-model params replace response_format for servers without json_schema', async () => {
    server.script([textReply('{"title": "t", "score": 0}')]);
    const model = openaiModel(server.url, { params: { response_format: { type: 'json_object' } } });
    const { result } = await run({ model, outputSchema: schema });
    expect(server.requests.at(-1)!.body.response_format).toEqual({ type: 'json_object' });
    expect(result?.outputs).toEqual({ title: 't', score: 0 });
  });

  it('checks outputs directly', () => {
    expect(checkOutputs({ type: 'array', items: { type: 'integer' } }, ' [1, 2] ')).toEqual([1, 2]);
    expect(() => checkOutputs({ type: 'array', items: { type: 'integer' } }, '[1.5]')).toThrow(/must be integer/);
  });
});
