import { startTestGateway, type RawConfig, type TestGateway } from '../support/gateway.js';

export interface SageReply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  body: any;
  text: string;
}

export interface SageCall {
  json?: unknown;
  form?: FormData;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Bearer token for this call (overrides the client's); `null` sends none. */
  token?: string | null;
}

/**
 * A client as the Sage web UI is one: it keeps the cookies the server sets
 * (`credentials: include`), sends its bearer token when it has one, and
 * reads JSON bodies (text for streams and downloads).
 */
export class SageClient {
  token: string | undefined;
  private readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    token?: string,
  ) {
    this.token = token;
  }

  get(path: string, options: SageCall = {}): Promise<SageReply> {
    return this.call('GET', path, options);
  }

  post(path: string, json?: unknown, options: SageCall = {}): Promise<SageReply> {
    return this.call('POST', path, { ...options, json });
  }

  /** The raw response (for streams read line by line); cookies are kept. */
  async fetch(method: string, path: string, options: SageCall = {}): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) body = options.form;
    const response = await fetch(url, { method, headers, body });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, ...value] = pair!.split('=');
      const cleared = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (cleared) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('=').trim());
    }
    return response;
  }

  async call(method: string, path: string, options: SageCall = {}): Promise<SageReply> {
    const response = await this.fetch(method, path, options);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, body: type.includes('json') ? JSON.parse(text) : undefined, text };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export interface SageGatewayOptions {
  store?: 'memory' | 'redis';
  redisUrl?: string;
  /** Base URL of the local OpenAI-compatible server: becomes model `mock`, the demo agent's and the default model. */
  modelUrl?: string;
  configure?: (raw: RawConfig) => void;
}

/** The real gateway from the shipped config (Sage at `/api`, no prefix). */
export function startSageGateway(options: SageGatewayOptions = {}): Promise<TestGateway> {
  return startTestGateway({
    store: options.store,
    redisUrl: options.redisUrl,
    configure: (raw) => {
      if (options.modelUrl) {
        raw.models.push({ name: 'mock', kind: 'openai', base_url: options.modelUrl, api_key: 'sk-test', max_retries: 0, stall_timeout_ms: 20_000 });
        raw.bootstrap.agents[0].model = 'mock';
        raw.default_model = 'mock';
      }
      options.configure?.(raw);
    },
  });
}

/** A client with a demo user's static token (alice is an admin, bob is not): works on every route that takes a user. */
export const asDemoUser = (gw: TestGateway, who: 'alice' | 'bob' = 'alice'): SageClient => new SageClient(gw.baseUrl, `demo-token-${who}`);
