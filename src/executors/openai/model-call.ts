import type { ChatMessage, RunRequest } from '../executor.js';
import { ExecutorError } from '../executor.js';
import { AttemptTimers } from './attempt-timers.js';
import { applyChunk, type TurnSink } from './chunk-reader.js';
import { chatCompletionsUrl, postJson, type ModelResponse } from './http-client.js';
import { errorMessageOfBody } from './provider-error.js';
import { buildHeaders, buildRequestBody } from './request-body.js';
import { isRetryableStatus, retryDelayMs, sleep } from './retry-policy.js';
import { sseEvents } from './sse-events.js';

/**
 * Once a turn is complete (`[DONE]` or a `finish_reason`), how long to keep
 * reading: long enough for the usage-only chunk servers send right after the
 * finish, and for the response to end cleanly so its connection can be reused;
 * short enough that a server that never closes does not hold the turn.
 */
const TRAILER_GRACE_MS = 500;
/** Error bodies are read up to this size for their message. */
const MAX_ERROR_BODY = 64 * 1024;

/** Servers (url + model) that refused `stream_options` and accepted the call without it. */
const refusesStreamOptions = new Set<string>();

type Headers = Record<string, string | string[] | undefined>;
type Attempt =
  | { kind: 'done' }
  | { kind: 'failed'; error: ExecutorError; retryable: boolean; status?: number; body?: string; headers: Headers };

/**
 * Runs one model turn into `sink`: one HTTP call, retried with backoff on
 * 429/5xx/connection errors only while no byte of the body has arrived,
 * up to `model.max_retries`. A 400/422 to a request with `stream_options` is
 * retried once without it (not counted as a retry). Rejects with the
 * caller's abort reason, or an ExecutorError ('timeout' for stalls and the
 * per-attempt limit, 'upstream' otherwise).
 */
export async function callModel(request: RunRequest, history: ChatMessage[], sink: TurnSink): Promise<void> {
  const { model } = request;
  const url = chatCompletionsUrl(model.base_url ?? '');
  const key = `${url} ${model.model ?? model.name}`;
  const stream = !(model.non_streaming_tools && request.tools.length > 0);
  let streamUsage = stream && model.stream_usage && !refusesStreamOptions.has(key);
  let droppedStreamUsage = false;
  let retries = 0;
  for (let attempt = 0; ; attempt++) {
    const body = JSON.stringify(buildRequestBody(request, history, { stream, streamUsage }));
    const outcome = await attemptOnce(request, url, stream, body, sink);
    if (outcome.kind === 'done') {
      if (droppedStreamUsage) refusesStreamOptions.add(key);
      return;
    }
    const refused = outcome.status === 400 || outcome.status === 422;
    if (refused && streamUsage && (attempt === 0 || /stream_options/i.test(outcome.body ?? ''))) {
      streamUsage = false;
      droppedStreamUsage = true;
      continue;
    }
    if (!outcome.retryable || retries >= model.max_retries) throw outcome.error;
    await sleep(retryDelayMs(retries, outcome.headers), request.signal);
    retries++;
  }
}

async function attemptOnce(
  request: RunRequest,
  url: string,
  stream: boolean,
  body: string,
  sink: TurnSink,
): Promise<Attempt> {
  const { model } = request;
  const timers = new AttemptTimers(request.signal, model.stall_timeout_ms, model.timeout_ms);
  const progress = { bytes: 0 };
  try {
    const response = await postJson(url, buildHeaders(request, stream), body, timers.signal);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await readErrorBody(response);
      return {
        kind: 'failed',
        status: response.statusCode,
        body: text,
        headers: response.headers,
        retryable: isRetryableStatus(response.statusCode),
        error: new ExecutorError(`model server answered HTTP ${response.statusCode}: ${errorMessageOfBody(text)}`),
      };
    }
    // Any byte counts as life, keep-alive comments included: they are how servers say
    // "still working" during long prompt processing. timeout_ms still bounds the call.
    const onBytes = () => {
      progress.bytes++;
      timers.touch();
    };
    // Some servers ignore `stream: true` and answer with one JSON document.
    const json = String(response.headers['content-type'] ?? '').includes('application/json');
    if (stream && !json) await readStream(response, sink, timers, onBytes);
    else await readJson(response, sink, onBytes);
    return { kind: 'done' };
  } catch (err) {
    if (request.signal.aborted) throw request.signal.reason;
    if (timers.stopped === 'stall') {
      throw new ExecutorError(`the model server sent nothing for ${timers.stallMs} ms`, 'timeout');
    }
    if (timers.stopped === 'timeout') {
      throw new ExecutorError(`the model call took longer than ${timers.totalMs} ms`, 'timeout');
    }
    if (err instanceof ExecutorError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    // After the first byte a retry would repeat text and corrupt tool arguments.
    if (progress.bytes > 0) throw new ExecutorError(`the model stream broke off: ${detail}`);
    return {
      kind: 'failed',
      retryable: true,
      headers: {},
      error: new ExecutorError(`could not reach the model server: ${detail}`),
    };
  } finally {
    timers.dispose();
  }
}

async function readStream(
  response: ModelResponse,
  sink: TurnSink,
  timers: AttemptTimers,
  onBytes: () => void,
): Promise<void> {
  let finished = false;
  let done = false;
  try {
    for await (const event of sseEvents(response.body, onBytes)) {
      const data = event.data.trim();
      if (done || event.event === 'ping' || !data) continue;
      if (data === '[DONE]') {
        done = true;
        timers.finishAfter(TRAILER_GRACE_MS);
        continue;
      }
      if (event.event === 'error') throw new ExecutorError(`model server error: ${errorMessageOfBody(data)}`);
      const chunk = parseObject(data);
      // A line that is not a JSON object is noise some proxies add; nothing to apply.
      if (!chunk) continue;
      if ((await applyChunk(chunk, sink)) && !finished) {
        finished = true;
        // Clients see the answer complete now, not when the server gets round to closing.
        await sink.output.close();
        timers.finishAfter(TRAILER_GRACE_MS);
      }
    }
  } catch (err) {
    if (timers.stopped !== 'finished') throw err;
  }
  if (!finished && !done) throw new ExecutorError('the model stream ended before the model finished its answer');
}

async function readJson(response: ModelResponse, sink: TurnSink, onBytes: () => void): Promise<void> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const bytes of response.body) {
    onBytes();
    text += decoder.decode(bytes, { stream: true });
  }
  text += decoder.decode();
  const parsed = parseObject(text);
  if (!parsed) throw new ExecutorError('the model server answered with something that is not a JSON object');
  await applyChunk(parsed, sink);
}

async function readErrorBody(response: ModelResponse): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const bytes of response.body) {
      text += decoder.decode(bytes, { stream: true });
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The status alone is enough to report.
  }
  return text;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
