/**
 * A real EventSource (the `eventsource` package) as the OpenBee web client
 * opens it, with what a test needs around it: a cookie jar (a browser sends
 * the session's cookies with the stream request), every request and response
 * it made, a way to break its connection so that it reconnects by itself
 * (with `Last-Event-ID`), and a gate that holds such a reconnect. Every wait
 * is bounded.
 */
import { EventSource, type EventSourceFetchInit, type FetchLikeResponse } from 'eventsource';

export interface Frame {
  /** The DOM event type: "message" for a frame without an `event:` name. */
  type: string;
  data: string;
  lastEventId: string;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number;
}

/** A minimal browser cookie jar: `Path` (prefix on a `/` boundary) and `Max-Age`, nothing else. */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Takes the `Set-Cookie` headers of a response to a request for `url`. */
  store(url: string | URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const cookie: StoredCookie = { name: pair.slice(0, at), value: pair.slice(at + 1), path: defaultPath(url), expiresAt: Infinity };
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') cookie.path = value;
        if (key.toLowerCase() === 'max-age') cookie.expiresAt = Date.now() + Number(value) * 1000;
      }
      const key = `${cookie.name};${cookie.path}`;
      if (cookie.expiresAt <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, cookie);
    }
  }

  /** The `Cookie` header a browser sends with a request for `url` (longest path first), '' when none. */
  header(url: string | URL): string {
    const path = new URL(url).pathname;
    return [...this.cookies.values()]
      .filter((c) => c.expiresAt > Date.now() && (path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** A cookie as if a response had set it (for Path and age, see `store`). */
  set(name: string, value: string, path: string, maxAgeSeconds = 60): void {
    this.cookies.set(`${name};${path}`, { name, value, path, expiresAt: Date.now() + maxAgeSeconds * 1000 });
  }

  get(name: string): StoredCookie | undefined {
    return [...this.cookies.values()].find((c) => c.name === name && c.expiresAt > Date.now());
  }
}

function defaultPath(url: string | URL): string {
  const path = new URL(url).pathname;
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface SentRequest {
  headers: Record<string, string>;
}

export interface SeenResponse {
  status: number;
  headers: Headers;
}

/** One EventSource on `url`; `close()` it in every test (see `closeAll`). */
export class TestStream {
  readonly frames: Frame[] = [];
  readonly requests: SentRequest[] = [];
  readonly responses: SeenResponse[] = [];
  readonly errors: { code: number | undefined; message: string | undefined }[] = [];
  /** How many times a response body ended (the server closed the stream, or `cut`). */
  ended = 0;
  readonly source: EventSource;
  private cutCurrent: (() => void) | undefined;
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  private readonly changed = new Set<() => void>();

  constructor(
    readonly url: string,
    private readonly jar?: CookieJar,
  ) {
    this.source = new EventSource(url, { fetch: (input, init) => this.fetch(input, init) });
    // `onmessage` only, as the web client: a frame with an `event:` name would never arrive here.
    this.source.onmessage = (event) => this.note(() => this.frames.push({ type: event.type, data: event.data, lastEventId: event.lastEventId }));
    this.source.onerror = (event) => this.note(() => this.errors.push({ code: event.code, message: event.message }));
    this.source.onopen = () => this.note(() => undefined);
    open.add(this);
  }

  /** Resolves once `ok()` holds, re-checked after every event; rejects after `ms`. */
  until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
    let check = () => undefined as void;
    const done = new Promise<void>((resolve) => {
      check = () => {
        if (ok()) resolve();
      };
    });
    this.changed.add(check);
    check();
    return within(ms, what, done).finally(() => this.changed.delete(check));
  }

  opened(ms?: number): Promise<void> {
    return this.until('the stream to open', () => this.source.readyState === EventSource.OPEN, ms);
  }

  framesAtLeast(count: number, ms?: number): Promise<Frame[]> {
    return this.until(`${count} frame(s), got ${this.frames.length}`, () => this.frames.length >= count, ms).then(() => this.frames);
  }

  /** Breaks the current connection from the client's side, as a network drop: the server sees it close, the EventSource reconnects by itself. */
  cut(): void {
    this.cutCurrent?.();
  }

  /** Holds every later connection attempt until `release()`. */
  hold(): void {
    let open = () => undefined as void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  close(): void {
    this.release();
    this.source.close();
    this.cut();
    open.delete(this);
  }

  private note(change: () => void): void {
    change();
    for (const check of [...this.changed]) check();
  }

  private async fetch(input: string | URL, init: EventSourceFetchInit): Promise<FetchLikeResponse> {
    await this.gate?.promise;
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.jar?.header(input);
    if (cookie) headers.cookie = cookie;
    this.requests.push({ headers });
    const abort = new AbortController();
    init.signal?.addEventListener?.('abort', () => abort.abort());
    const response = await fetch(input, { method: 'GET', headers, signal: abort.signal, cache: 'no-store' });
    this.jar?.store(input, response.headers);
    this.note(() => this.responses.push({ status: response.status, headers: response.headers }));
    if (!response.body) return response;
    const reader = response.body.getReader();
    let cutNow = () => undefined as void;
    const cut = new Promise<'cut'>((resolve) => (cutNow = () => resolve('cut')));
    this.cutCurrent = () => {
      cutNow();
      abort.abort();
    };
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const next = await Promise.race([reader.read().catch(() => ({ done: true as const, value: undefined })), cut]);
        if (next === 'cut' || next.done) {
          this.note(() => this.ended++);
          controller.close();
          return;
        }
        controller.enqueue(next.value);
      },
      cancel: () => reader.cancel().catch(() => undefined),
    });
    return { body, url: response.url, status: response.status, redirected: response.redirected, headers: response.headers };
  }
}

const open = new Set<TestStream>();

/** Closes every stream a test left open (call in `afterEach`). */
export function closeAll(): void {
  for (const stream of [...open]) stream.close();
}

/** A frame's data, parsed. */
export function reply(frame: Frame): { content: string; created_at: number; id: string } {
  return JSON.parse(frame.data);
}
