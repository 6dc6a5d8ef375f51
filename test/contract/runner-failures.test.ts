import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, loadFixtureFile, parseFixture, runScenario } from '../../src/contract/index.js';
import type { ScenarioResult } from '../../src/contract/index.js';
import { startContractServer, type ContractServer } from './contract-server.js';

let server: ContractServer;
beforeAll(async () => {
  server = await startContractServer();
});
afterAll(async () => {
  await server.close();
});

async function run(yaml: string, vars?: Record<string, unknown>): Promise<ScenarioResult> {
  return runScenario(parseFixture(yaml, 'inline.yaml'), { baseUrl: server.baseUrl, ...(vars ? { vars } : {}) });
}

/** The failure paths of the first failing step. */
function failurePaths(result: ScenarioResult): string[] {
  return result.steps.find((step) => !step.passed && !step.skipped)?.failures.map((failure) => failure.path) ?? [];
}

function failureMessages(result: ScenarioResult): string[] {
  return result.steps.flatMap((step) => step.failures.map((failure) => `${failure.path}: ${failure.message}`));
}

describe('a failing step', () => {
  it('reports each unmet expectation at its path, and skips the later steps', async () => {
    const result = await runScenario(await loadFixtureFile('fixtures/_self/fail-wrong-expectations.yaml'), { baseUrl: server.baseUrl });
    expect(result.passed).toBe(false);
    expect(result.file).toBe('fixtures/_self/fail-wrong-expectations.yaml');
    expect(result.steps.map((step) => [step.name, step.passed, step.skipped])).toEqual([
      ['get a token', true, false],
      ['create a task with the wrong expectations', false, false],
      ['never reached', false, true],
    ]);
    const failures = result.steps[1]?.failures ?? [];
    expect(failures.map((failure) => failure.path)).toEqual(['status', 'headers.content-type', 'json.task_id', 'json.created_at']);
    expect(failures[0]).toMatchObject({ expected: 201, actual: 202 });
    expect(failures[2]).toMatchObject({ expected: { $type: 'integer' }, message: 'expected type integer, got string' });
    expect(typeof failures[2]?.actual).toBe('string');
  });

  it('produces a readable report with ✓/✗ lines and expected vs actual', async () => {
    const result = await runScenario(await loadFixtureFile('fixtures/_self/fail-wrong-expectations.yaml'), { baseUrl: server.baseUrl });
    const report = formatReport([result]);
    const lines = report.split('\n');
    expect(lines[0]).toBe('✗ deliberately wrong expectations (fixtures/_self/fail-wrong-expectations.yaml)');
    expect(lines[1]).toBe('  ✓ get a token');
    expect(lines[2]).toMatch(/^ {2}✗ create a task with the wrong expectations {2}\[POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/messages → 202\]$/);
    expect(lines.slice(3, 6)).toEqual(['      status: values differ', '        expected: 201', '        actual:   202']);
    expect(report).toContain('      json.task_id: expected type integer, got string\n        expected: {"$type":"integer"}\n        actual:   "');
    expect(report).toContain('  - never reached (skipped)');
    expect(report.trimEnd().split('\n').at(-1)).toBe('1 scenario(s): 0 passed, 1 failed');
  });

  it('says when the body is not JSON', async () => {
    const result = await run(`
name: json expected
steps:
  - name: text instead
    request: {path: /text}
    expect: {json: {a: 1}}
`);
    expect(result.steps[0]?.failures).toEqual([
      { path: 'json', expected: { a: 1 }, actual: 'hello contract world\n', message: 'the body is not JSON' },
    ]);
  });

  it('reports an unknown variable in the request instead of sending it', async () => {
    const result = await run(`
name: unknown variable
steps:
  - name: uses a variable nobody set
    request: {path: "/api/v1/tasks/\${taskId}"}
`);
    expect(failureMessages(result)).toEqual(['request: unknown variable ${taskId} (set it in vars, capture it in an earlier step, or pass --var)']);
  });

  it('reports a server that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runScenario(parseFixture('name: down\nsteps: [{name: ping, request: {path: /}}]\n'), { baseUrl: `http://127.0.0.1:${port}` });
    expect(result.passed).toBe(false);
    expect(result.steps[0]?.failures[0]).toMatchObject({ path: 'request', expected: `GET http://127.0.0.1:${port}/` });
    expect(result.steps[0]?.failures[0]?.message).toMatch(/^request failed: /);
  });

  it('reports a response that does not finish within request.timeout_ms', async () => {
    const result = await run(`
name: slow
steps:
  - name: a body that never ends, read as a whole
    request: {path: /api/forever, timeout_ms: 150}
    expect: {status: 200}
`);
    expect(failureMessages(result)).toEqual(['request: request failed: no response within 150 ms']);
  });

  it('reports repeat_until that never held, with the last response', async () => {
    const result = await run(`
name: never done
steps:
  - name: poll the listing for a total it never has
    request: {path: /api/items}
    repeat_until: {json: {total: 99}, interval_ms: 1, max: 3}
`);
    expect(result.steps[0]?.attempts).toBe(3);
    expect(failureMessages(result)).toEqual([
      'repeat_until: condition not met after 3 attempt(s); last response:',
      'repeat_until.json.total: values differ',
    ]);
  });
});

describe('variables and options', () => {
  it('run options vars override the fixture vars', async () => {
    const yaml = `
name: vars
vars: {who: fixture}
steps:
  - name: echo
    request: {path: /echo, query: {who: "\${who}"}}
    expect: {json: {query: {who: cli}}}
`;
    expect((await run(yaml)).passed).toBe(false);
    expect((await run(yaml, { who: 'cli' })).passed).toBe(true);
  });

  it('keeps the path prefix of the base URL and uses the given fetch', async () => {
    const seen: string[] = [];
    const tracingFetch: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const scenario = parseFixture('name: prefix\nsteps: [{name: echo, request: {path: /echo}, expect: {json: {path: /prefix/echo}}}]\n');
    const result = await runScenario(scenario, { baseUrl: `${server.baseUrl}/prefix/`, fetch: tracingFetch });
    expect(result.passed, formatReport([result])).toBe(true);
    expect(seen).toEqual([`${server.baseUrl}/prefix/echo`]);
  });
});

describe('stream expectations that fail', () => {
  it('names the expected frame that never arrived once the stream ended', async () => {
    const result = await run(`
name: missing frame
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream:
        frames:
          - {type: assistant_text}
          - {type: tool_call}
`);
    expect(failureMessages(result)).toEqual([
      'stream.frames[1]: no matching frame after received frame #0 (3 candidate(s)); closest is received frame #1',
      'stream.frames[1].type: values differ (in received frame #1)',
    ]);
  });

  it('points at the closest frame and its differing keys', async () => {
    const result = await run(`
name: near miss
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream:
        frames:
          - {type: stream_end, total_stream_count: 4}
`);
    const failures = result.steps[0]?.failures ?? [];
    expect(failurePaths(result)).toEqual(['stream.frames[0]', 'stream.frames[0].total_stream_count']);
    expect(failures[0]?.actual).toEqual({ type: 'stream_end', total_stream_count: 3 });
    expect(failures[1]).toMatchObject({ expected: 4, actual: 3, message: 'values differ (in received frame #3)' });
  });

  it('reports frames out of order', async () => {
    const result = await run(`
name: order
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream:
        frames:
          - {type: stream_end}
          - {type: token_usage}
`);
    expect(failureMessages(result)).toEqual([
      'stream.frames[1]: not received: no frame after received frame #3; the stream ended',
    ]);
  });

  it('strict mode reports a different number of frames', async () => {
    const result = await run(`
name: strict
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream:
        strict: true
        frames: [{type: assistant_text}, {type: stream_end}]
`);
    expect(failureMessages(result)).toEqual(['stream.frames: expected exactly 2 frame(s), received 4 before the stream ended']);
  });

  it('strict mode compares frame by frame', async () => {
    const result = await run(`
name: strict
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream:
        strict: true
        frames: [{type: assistant_text}, {type: assistant_text}, {type: token_usage}, {type: done}]
`);
    expect(failureMessages(result)).toEqual(['stream.frames[3].type: values differ']);
  });

  it('complete: true fails on a stream that stays open', async () => {
    const result = await run(`
name: endless
steps:
  - name: stream
    request: {path: /api/forever}
    expect:
      stream:
        complete: true
        timeout_ms: 200
        frames: [{event: tick}]
`);
    expect(failureMessages(result)).toEqual(['stream.complete: the stream did not end: the stream was still open after 200 ms']);
  });

  it('until that never matches fails, whether the stream ends or not', async () => {
    const ended = await run(`
name: until
steps:
  - name: stream
    request: {path: /api/stream}
    expect:
      stream: {until: {type: never}, frames: []}
`);
    expect(failureMessages(ended)).toEqual(['stream.until: no frame matched `until` before the stream ended (4 frame(s) received)']);
    const open = await run(`
name: until
steps:
  - name: stream
    request: {path: /api/forever}
    expect:
      stream: {until: {event: never}, timeout_ms: 150, frames: []}
`);
    expect(failureMessages(open)[0]).toMatch(/^stream\.until: no frame matched `until` before the stream was still open after 150 ms \(\d+ frame\(s\) received\)$/);
  });

  it('refuses a response that is not a stream', async () => {
    const result = await run(`
name: not a stream
steps:
  - name: json
    request: {path: /api/items}
    expect:
      stream: {frames: [{a: 1}]}
`);
    expect(result.steps[0]?.failures).toEqual([{
      path: 'headers.content-type',
      expected: 'text/event-stream | application/x-ndjson | text/plain',
      actual: 'application/json; charset=utf-8',
      message: 'expected a streamed response (set stream.format to force one)',
    }]);
  });

  it('stream.format forces the framing whatever the content type', async () => {
    const result = await run(`
name: forced
steps:
  - name: json read as one NDJSON line
    request: {path: /api/items}
    expect:
      stream: {format: ndjson, complete: true, strict: true, frames: [{total: 3}]}
`);
    expect(result.passed, formatReport([result])).toBe(true);
  });
});
