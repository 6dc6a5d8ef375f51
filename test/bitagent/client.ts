/**
 * A bit-Agent OpenAPI client for the tests, speaking plain HTTP the way the
 * document's curl examples do, against a gateway started by the test.
 */
import { EventSource } from 'eventsource';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type RawConfig, type TestGateway, type TestGatewayOptions } from '../support/gateway.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

export const API_KEY = 'demo-api-key';
export const TENANT = 'demo';
export const OTHER_API_KEY = 'acme-api-key';
export const OTHER_TENANT = 'acme';

export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the server sent
  body: any;
}

export interface CallOptions {
  /** A user token, sent as `Authorization: Bearer`. */
  token?: string;
  /** Raw `Authorization` header value. */
  authorization?: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
}

/** The API under `<gateway>/api`, as a client configured with base URL `http://host/api` sees it. */
export class BitAgentClient {
  constructor(readonly base: string) {}

  url(path: string): string {
    return `${this.base}/v3/openapi${path}`;
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) body = options.form;
    const res = await fetch(this.url(path), { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a download): keep the text.
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** A user token for `userId` of the tenant that `apiKey` belongs to. */
  async token(userId: string, apiKey = API_KEY, tenant = TENANT): Promise<string> {
    const reply = await this.call('POST', '/auth/user-token', { authorization: apiKey, json: { user_id: userId, tenant_code: tenant } });
    if (reply.status !== 200) throw new Error(`user-token failed: ${JSON.stringify(reply.body)}`);
    return reply.body.data.access_token as string;
  }
}

/**
 * The shipped config plus, for these tests: a second tenant with its own
 * key and agent, and (with `modelUrl`) an `openai` model named `mock` on the
 * local model server that the demo agent uses.
 */
export function bitAgentConfig(modelUrl?: string, extra?: (raw: RawConfig) => void): (raw: RawConfig) => void {
  return (raw) => {
    raw.bootstrap.tenants.push({ code: OTHER_TENANT, name: 'Acme', api_keys: [OTHER_API_KEY] });
    raw.bootstrap.agents.push({
      id: 'acme-agent',
      tenant: OTHER_TENANT,
      name: 'Acme writer',
      description: 'Writes for Acme',
      model: 'demo',
    });
    if (modelUrl) {
      raw.models.push({ name: 'mock', kind: 'openai', base_url: modelUrl, api_key: 'sk-test', max_retries: 0, stall_timeout_ms: 20_000 });
      const demo = raw.bootstrap.agents.find((a: { id: string }) => a.id === 'demo-agent');
      demo.model = 'mock';
    }
    extra?.(raw);
  };
}

export async function startBitAgentGateway(options: TestGatewayOptions & { modelUrl?: string; extra?: (raw: RawConfig) => void } = {}): Promise<{ gw: TestGateway; api: BitAgentClient }> {
  const gw = await startTestGateway({ ...options, configure: bitAgentConfig(options.modelUrl, options.extra) });
  return { gw, api: new BitAgentClient(`${gw.baseUrl}/api`) };
}

export interface SseFrame {
  event: string;
  data: string;
  /** The frame's own `id:`, "" when it has none. */
  id: string;
}

const EVENT_NAMES = ['step', 'step-event', 'thinking', 'message', 'error', 'card', 'close'];

export interface StreamOptions {
  /** Ends the first connection (as a dropped network would) once the bytes received so far satisfy this. */
  cutWhen?: (received: string) => boolean;
  /** Called for each frame as it arrives. */
  onFrame?: (frame: SseFrame) => void;
}

/**
 * Reads a task stream with the `eventsource` package (a real SSE client,
 * not our parser) until `close`, reconnecting as that client does, with
 * `Last-Event-ID`. Resolves with every frame and the `Last-Event-ID` each
 * connection sent.
 */
export function readStream(url: string, token: string, options: StreamOptions = {}): Promise<{ frames: SseFrame[]; lastEventIds: (string | undefined)[] }> {
  const frames: SseFrame[] = [];
  const lastEventIds: (string | undefined)[] = [];
  let cut = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`stream did not close; got ${frames.map((f) => f.event).join(',')}`));
    }, 25_000);
    const source = new EventSource(url, {
      fetch: async (input, init) => {
        const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` };
        lastEventIds.push(headers['Last-Event-ID']);
        const res = await fetch(input, { ...init, headers });
        if (!options.cutWhen || cut || !res.body) return res;
        return new Response(cutting(res.body, options.cutWhen, () => (cut = true)), { status: res.status, headers: res.headers });
      },
    });
    source.addEventListener('error', (event) => {
      // An HTTP error is final for EventSource; a dropped connection is retried by it.
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        reject(new Error(`stream failed: ${(event as { message?: string }).message ?? 'error'}`));
      }
    });
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event: MessageEvent) => {
        // The API's `error` event shares its name with EventSource's own connection errors, which carry no data.
        if (event.data === undefined) return;
        const frame = { event: name, data: String(event.data), id: event.lastEventId };
        frames.push(frame);
        options.onFrame?.(frame);
        if (name === 'close') {
          clearTimeout(timer);
          source.close();
          resolve({ frames, lastEventIds });
        }
      });
    }
  });
}

/** Passes the body through until `test` holds for what arrived, then ends it and cancels the real one. */
function cutting(body: ReadableStream<Uint8Array>, test: (received: string) => boolean, onCut: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let received = '';
  let done = false;
  return new ReadableStream({
    async pull(controller) {
      if (done) return controller.close();
      const next = await reader.read();
      if (next.done) return controller.close();
      controller.enqueue(next.value);
      received += decoder.decode(next.value, { stream: true });
      if (test(received)) {
        done = true;
        onCut();
        await reader.cancel();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** The JSON data of the frames with the given event name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frame data is whatever the server sent
export function jsonOf(frames: SseFrame[], event: string): any[] {
  return frames.filter((f) => f.event === event).map((f) => JSON.parse(f.data) as unknown);
}

/**
 * POSTs and reads the SSE answer with `eventsource-parser` (EventSource
 * cannot POST), until `close`, the end of the body, or `until` holds for a
 * frame (then the connection is dropped, as a client that leaves would).
 * A non-SSE answer comes back as `body`.
 */
export async function postStream(
  url: string,
  token: string,
  json: unknown,
  until?: (frame: SseFrame) => boolean,
): Promise<{ status: number; headers: Headers; frames: SseFrame[]; body?: unknown }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(json),
    signal: controller.signal,
  });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    return { status: res.status, headers: res.headers, frames: [], body: await res.json() };
  }
  const frames: SseFrame[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: (message) => {
      if (stop) return;
      const frame = { event: message.event ?? 'message', data: message.data, id: message.id ?? '' };
      frames.push(frame);
      if (frame.event === 'close' || until?.(frame)) stop = true;
    },
  });
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  while (!stop) {
    const next = await reader.read();
    if (next.done) break;
    parser.feed(decoder.decode(next.value, { stream: true }));
  }
  controller.abort();
  return { status: res.status, headers: res.headers, frames };
}

/** What `useBitAgentGateway` holds for a describe block; read its fields inside tests (they are set by `beforeAll`). */
export interface BitAgentSetup {
  model: OpenAIServer;
  gw: TestGateway;
  api: BitAgentClient;
}

/**
 * A gateway on `store` (with its own redis-server for `redis`) whose demo
 * agent runs on a local OpenAI-compatible model server, started before the
 * describe block's tests and stopped after them.
 */
export function useBitAgentGateway(store: 'memory' | 'redis'): BitAgentSetup {
  const setup = {} as BitAgentSetup;
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    setup.model = await startOpenAIServer();
    if (store === 'redis') redis = await startRedis();
    Object.assign(setup, await startBitAgentGateway({ store, redisUrl: redis?.url, modelUrl: setup.model.url }));
  });
  afterAll(async () => {
    await setup.gw?.stop();
    await redis?.stop();
    await setup.model?.close();
  });
  return setup;
}
