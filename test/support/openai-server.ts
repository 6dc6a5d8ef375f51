/**
 * A local OpenAI-compatible Chat Completions server for tests. Each POST to
 * `/v1/chat/completions` consumes the next scripted reply, sent in the real
 * wire format (`text/event-stream`, `data: {...}` events separated by blank
 * lines), so every quirk of real model servers can be produced on demand.
 *
 *   const server = await startOpenAIServer();
 *   server.script([textReply('Hello there')]);
 *   // point a model's base_url at server.url, run, then inspect server.requests
 *   await server.close();
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One SSE step: a chunk object (sent as `data: <json>`) or raw wire text written as is. */
export type Step = Record<string, unknown> | { raw: string };

/** A 200 `text/event-stream` answer. */
export interface StreamReply {
  chunks: Step[];
  /** Send `data: [DONE]` after the chunks (default true). */
  done?: boolean;
  /** Pause before each step, in ms (default 0). */
  delayMs?: number;
  /** Keep the connection open after the last step instead of ending the response. */
  holdOpen?: boolean;
  /** Stall forever after the chunks: no `[DONE]`, no end (same as `done: false, holdOpen: true`). */
  stall?: boolean;
  /** Destroy the connection after the last step (a stream that breaks off mid-answer). */
  cut?: boolean;
}

/** An HTTP error answer. `body` is sent as JSON unless it is a string. */
export interface ErrorReply {
  status: number;
  body?: unknown;
  /** Sent as the `Retry-After` header. */
  retryAfter?: number | string;
}

/** A 200 `application/json` answer (a non-streamed completion). */
export interface JsonReply {
  json: unknown;
}

/** Close the connection without answering at all (a connection error before the first byte). */
export interface ResetReply {
  reset: true;
}

export type Scripted = StreamReply | ErrorReply | JsonReply | ResetReply;

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever fields the client sent
  body: any;
  /** The client's port: two requests with the same port came over one kept-alive connection. */
  remotePort: number | undefined;
  /** How the exchange ended: the server finished its answer, or the client closed the connection first. */
  outcome: Promise<'completed' | 'client-closed'>;
}

export interface OpenAIServer {
  /** Base URL ending in `/v1`, ready for a model's `base_url`. */
  url: string;
  /** Every chat completions request received, in order. */
  requests: ReceivedRequest[];
  /** Queues replies; each request consumes the next one. */
  script(next: Scripted[]): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

export interface OpenAIServerOptions {
  /** Answer to use when the script is used up (default: HTTP 500 naming the problem). */
  fallback?: Scripted;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const queue: Scripted[] = [];
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        body = undefined;
      }
      const outcome = new Promise<'completed' | 'client-closed'>((resolve) => {
        res.on('close', () => resolve(res.writableFinished ? 'completed' : 'client-closed'));
      });
      requests.push({ path: req.url, headers: req.headers, body, remotePort: req.socket.remotePort, outcome });
      const reply = queue.shift() ??
        options.fallback ?? { status: 500, body: { error: { message: 'openai-server: no scripted reply left' } } };
      void answer(reply, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (next) => void queue.push(...next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(reply: Scripted, res: ServerResponse): Promise<void> {
  if ('reset' in reply) {
    res.socket?.destroy();
    return;
  }
  if ('json' in reply) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.json));
    return;
  }
  if ('status' in reply) {
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? { error: { message: 'error' } });
    const headers: Record<string, string> = {
      'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
    };
    if (reply.retryAfter !== undefined) headers['retry-after'] = String(reply.retryAfter);
    res.writeHead(reply.status, headers);
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const steps = [...reply.chunks];
  if (reply.done !== false && !reply.stall) steps.push({ raw: 'data: [DONE]\n\n' });
  for (const step of steps) {
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;
    const text = 'raw' in step && typeof step.raw === 'string' ? step.raw : `data: ${JSON.stringify(step)}\n\n`;
    // Wait until the bytes are handed to the socket, so a cut right after really comes after them.
    await new Promise<void>((resolve) => res.write(text, () => resolve()));
  }
  if (reply.cut) res.socket?.destroy();
  else if (!reply.holdOpen && !reply.stall) res.end();
}

// ---- chunk builders -------------------------------------------------------

let serial = 0;
const base = () => ({ id: `chatcmpl-${++serial}`, object: 'chat.completion.chunk', created: 1, model: 'test-model' });

function choice(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return { ...base(), choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

export interface ToolCallSpec {
  id: string;
  name: string;
  /** The arguments' JSON text. */
  arguments: string;
  /** The delta index (default: the call's position). */
  index?: number;
}

/** Builders for the chunks and raw lines real servers send. */
export const chunk = {
  /** A content delta. */
  text: (content: string) => choice({ content }),
  /** A reasoning delta in `reasoning_content` (DeepSeek, Qwen) or `reasoning` (vLLM, OpenRouter). */
  reasoning: (text: string, field: 'reasoning_content' | 'reasoning' = 'reasoning_content') => choice({ [field]: text }),
  /** A chunk whose delta is given whole (for `role`, odd tool_call shapes, ...). */
  delta: (delta: Record<string, unknown>, finishReason: string | null = null) => choice(delta, finishReason),
  /**
   * One tool call split over `pieces` chunks: the first carries id and name with
   * `null` arguments, the rest carry the argument text in slices.
   */
  toolCall(call: ToolCallSpec, pieces = 3): Record<string, unknown>[] {
    const index = call.index ?? 0;
    const out = [
      choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: null } }] }),
    ];
    const size = Math.ceil(call.arguments.length / pieces) || 1;
    for (let at = 0; at < call.arguments.length; at += size) {
      out.push(choice({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + size) } }] }));
    }
    return out;
  },
  /** An empty delta with a finish reason. */
  finish: (reason = 'stop') => choice({}, reason),
  /** A usage-only chunk with empty `choices`, as OpenAI sends with `include_usage`. */
  usage: (prompt: number, completion: number, extra: Record<string, unknown> = {}) => ({
    ...base(),
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...extra },
  }),
  /** A chunk with empty `choices` (Azure's first chunk carries only filter results). */
  empty: () => ({ ...base(), choices: [], prompt_filter_results: [] }),
  /** An error sent inside a 200 stream. */
  error: (message: string) => ({ error: { message, type: 'server_error' } }),
  /** A comment line such as `: keep-alive`. */
  comment: (text = 'keep-alive') => ({ raw: `: ${text}\n\n` }),
  /** A named `ping` event. */
  ping: () => ({ raw: 'event: ping\ndata: {"type":"ping"}\n\n' }),
  /** Raw wire text, written as is. */
  raw: (text: string) => ({ raw: text }),
};

/** A whole text answer: the text in `pieces` chunks, `finish_reason: stop`, then a usage chunk. */
export function textReply(text: string, options: { pieces?: number; usage?: [number, number] } = {}): StreamReply {
  const pieces = options.pieces ?? 3;
  const size = Math.ceil(text.length / pieces) || 1;
  const chunks: Step[] = [chunk.delta({ role: 'assistant', content: '' })];
  for (let at = 0; at < text.length; at += size) chunks.push(chunk.text(text.slice(at, at + size)));
  chunks.push(chunk.finish('stop'));
  const [prompt, completion] = options.usage ?? [10, 5];
  chunks.push(chunk.usage(prompt, completion));
  return { chunks };
}

/** A turn that calls tools: each call split over three chunks, then `finish_reason: tool_calls` and usage. */
export function toolCallReply(calls: ToolCallSpec[]): StreamReply {
  const chunks: Step[] = calls.flatMap((call, i) => chunk.toolCall({ index: i, ...call }));
  chunks.push(chunk.finish('tool_calls'), chunk.usage(10, 5));
  return { chunks };
}

/** One call as a server without a tool-call parser writes it into `content` (Hermes/Qwen chat templates). */
export function inlineToolCall(name: string, args: Record<string, unknown>): string {
  return `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
}

/**
 * A turn whose tool calls are written into `content` as `<tool_call>` blocks:
 * the content in the given pieces (a string is cut into `pieces` equal
 * slices), `finish_reason: stop`, no `tool_calls` field, then usage.
 */
export function inlineToolCallReply(content: string | string[], options: { pieces?: number } = {}): StreamReply {
  let parts: string[];
  if (Array.isArray(content)) parts = content;
  else {
    const size = Math.ceil(content.length / (options.pieces ?? 4)) || 1;
    parts = [];
    for (let at = 0; at < content.length; at += size) parts.push(content.slice(at, at + size));
  }
  const chunks: Step[] = [chunk.delta({ role: 'assistant', content: '' }), ...parts.map((part) => chunk.text(part))];
  chunks.push(chunk.finish('stop'), chunk.usage(10, 5));
  return { chunks };
}
