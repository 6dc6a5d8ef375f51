import { startTestGateway, type RawConfig, type TestGateway } from '../support/gateway.js';
import { replyOf, requestOf, type JsonReply, type JsonRequest } from '../support/json-http.js';

export type SageReply = JsonReply;

export interface SageCall extends JsonRequest {
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
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const [url, init] = requestOf(this.base + path, method, options, headers);
    const response = await fetch(url, init);
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
    return replyOf(await this.fetch(method, path, options));
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
