// Running a scenario: steps in order against one base URL, variables carried from
// step to step. The first failing step ends the scenario; later steps are reported
// as skipped, since they usually depend on what the failed step should have made.

import { buildRequest, type BuiltRequest } from './http-request.js';
import { UnknownVariableError } from './interpolate.js';
import { childPath, parseJsonOrUndefined } from './json-values.js';
import { matchValue } from './matchers.js';
import { collectFrames, detectStreamFormat } from './stream-frames.js';
import { createStopRule, DEFAULT_STREAM_TIMEOUT_MS, matchStream } from './stream-match.js';
import type {
  ExpectSpec, Failure, RepeatUntil, RunOptions, Scenario, ScenarioResult, Step, StepResult, StreamExpect, Vars,
} from './types.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_REPEAT_INTERVAL_MS = 200;
export const DEFAULT_REPEAT_MAX = 50;

/** A response read in full, for the non-stream checks. */
interface ReadResponse {
  status: number;
  headers: Headers;
  text: string;
}

type Checks = Pick<ExpectSpec, 'status' | 'headers' | 'json' | 'text'>;

/** Status, headers, json and text checks of one response; captures go into `vars`. */
function checkResponse(checks: Checks, response: ReadResponse, vars: Vars, prefix = ''): Failure[] {
  const at = (path: string): string => (prefix === '' ? path : `${prefix}.${path}`);
  const failures: Failure[] = [];
  if (checks.status !== undefined) failures.push(...matchValue(checks.status, response.status, at('status'), vars));
  for (const [name, matcher] of Object.entries(checks.headers ?? {})) {
    failures.push(...matchValue(matcher, response.headers.get(name) ?? undefined, childPath(at('headers'), name), vars));
  }
  if (checks.json !== undefined) {
    const body = parseJsonOrUndefined(response.text);
    if (body === undefined) failures.push({ path: at('json'), expected: checks.json, actual: response.text, message: 'the body is not JSON' });
    else failures.push(...matchValue(checks.json, body, at('json'), vars));
  }
  if (checks.text !== undefined) failures.push(...matchValue(checks.text, response.text, at('text'), vars));
  return failures;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class StepError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** Sends the request; the timeout covers headers, and the body too unless it is a stream. */
async function send(
  request: BuiltRequest,
  timeoutMs: number,
  doFetch: typeof fetch,
  stream: StreamExpect | undefined,
  vars: Vars,
): Promise<{ read: ReadResponse; failures: Failure[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await doFetch(request.url, { ...request.init, signal: controller.signal });
    if (!stream) {
      const text = await response.text();
      return { read: { status: response.status, headers: response.headers, text }, failures: [] };
    }
    clearTimeout(timer);
    const read = { status: response.status, headers: response.headers, text: '' };
    const format = stream.format ?? detectStreamFormat(response.headers.get('content-type'));
    if (format === undefined) {
      await response.body?.cancel().catch(() => undefined);
      const contentType = response.headers.get('content-type') ?? undefined;
      const failure: Failure = {
        path: 'headers.content-type',
        expected: 'text/event-stream | application/x-ndjson | text/plain',
        actual: contentType,
        message: 'expected a streamed response (set stream.format to force one)',
      };
      return { read, failures: [failure] };
    }
    const collected = await collectFrames(response.body, {
      format,
      timeoutMs: stream.timeout_ms ?? DEFAULT_STREAM_TIMEOUT_MS,
      stopAfter: createStopRule(stream, vars),
      abort: () => controller.abort(),
    });
    return { read, failures: matchStream(stream, collected, vars) };
  } catch (error) {
    const reason = controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : (error as Error);
    const cause = (reason as { cause?: { message?: string } }).cause?.message;
    throw new StepError({ path: 'request', expected: `${request.method} ${request.url}`, message: `request failed: ${reason.message}${cause ? ` (${cause})` : ''}` });
  } finally {
    clearTimeout(timer);
  }
}

async function runStep(step: Step, vars: Vars, options: RunOptions): Promise<StepResult> {
  const result: StepResult = { name: step.name, passed: false, skipped: false, failures: [] };
  const doFetch = options.fetch ?? fetch;
  const repeat: RepeatUntil | undefined = step.repeat_until;
  const maxAttempts = repeat ? (repeat.max ?? DEFAULT_REPEAT_MAX) : 1;
  try {
    for (let attempt = 1; ; attempt += 1) {
      const request = buildRequest(step.request, vars, options.baseUrl);
      result.request = { method: request.method, url: request.url };
      result.attempts = attempt;
      // Stream checks run while reading, so they are evaluated inside send().
      const { read, failures: streamFailures } = await send(request, step.request.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS, doFetch, step.expect?.stream, vars);
      result.status = read.status;
      if (repeat) {
        const waiting = checkResponse(repeat, read, { ...vars }, 'repeat_until');
        if (waiting.length > 0) {
          if (attempt < maxAttempts) {
            await sleep(repeat.interval_ms ?? DEFAULT_REPEAT_INTERVAL_MS);
            continue;
          }
          result.failures.push({ path: 'repeat_until', message: `condition not met after ${attempt} attempt(s); last response:` }, ...waiting);
          break;
        }
      }
      if (step.expect) result.failures.push(...checkResponse(step.expect, read, vars), ...streamFailures);
      break;
    }
  } catch (error) {
    if (error instanceof StepError) result.failures.push(error.failure);
    else if (error instanceof UnknownVariableError) result.failures.push({ path: 'request', message: `${error.message} (set it in vars, capture it in an earlier step, or pass --var)` });
    else throw error;
  }
  result.passed = result.failures.length === 0;
  return result;
}

/** Runs every step of the scenario in order; never throws for a failing server. */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  const vars: Vars = { ...scenario.vars, ...options.vars };
  const steps: StepResult[] = [];
  let failed = false;
  for (const step of scenario.steps) {
    if (failed) {
      steps.push({ name: step.name, passed: false, skipped: true, failures: [] });
      continue;
    }
    const result = await runStep(step, vars, options);
    failed = !result.passed;
    steps.push(result);
  }
  return { name: scenario.name, ...(scenario.file === undefined ? {} : { file: scenario.file }), passed: !failed, steps };
}

/** Runs scenarios one after another (they may share server state), in the given order. */
export async function runScenarios(scenarios: Scenario[], options: RunOptions, onResult?: (result: ScenarioResult) => void): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await runScenario(scenario, options);
    onResult?.(result);
    results.push(result);
  }
  return results;
}
