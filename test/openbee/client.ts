import { startTestGateway, type RawConfig, type TestGateway } from '../support/gateway.js';
import { replyOf, requestOf, type JsonReply, type JsonRequest } from '../support/json-http.js';

export type BeeReply = JsonReply;

export interface BeeCall extends JsonRequest {
  /** Overrides the client's access token for this call; `null` sends none. */
  token?: string | null;
}

/**
 * A client that behaves like the OpenBee web client: it keeps the tokens of
 * its login, sends the access token as `Authorization: Bearer`, parses every
 * success body as JSON (text for logs), and on a 401 calls
 * `POST /auth/refresh` once, takes the new access token and retries.
 */
export class BeeClient {
  accessToken: string | undefined;
  refreshToken: string | undefined;
  /** How many times a 401 made it refresh (the web client's retry cycle). */
  refreshes = 0;

  constructor(readonly api: string) {}

  async login(username: string, password: string): Promise<BeeReply> {
    const reply = await this.raw('POST', '/auth/login', { json: { username, password }, token: null });
    if (reply.status === 200) {
      this.accessToken = reply.body.access_token;
      this.refreshToken = reply.body.refresh_token;
    }
    return reply;
  }

  get(path: string, options: BeeCall = {}): Promise<BeeReply> {
    return this.call('GET', path, options);
  }

  post(path: string, json?: unknown, options: BeeCall = {}): Promise<BeeReply> {
    return this.call('POST', path, { ...options, json });
  }

  put(path: string, json: unknown): Promise<BeeReply> {
    return this.call('PUT', path, { json });
  }

  delete(path: string, options: BeeCall = {}): Promise<BeeReply> {
    return this.call('DELETE', path, options);
  }

  /** One call with the web client's 401 → refresh → retry. */
  async call(method: string, path: string, options: BeeCall = {}): Promise<BeeReply> {
    const first = await this.raw(method, path, options);
    if (first.status !== 401 || options.token !== undefined || !this.refreshToken) return first;
    const refreshed = await this.raw('POST', '/auth/refresh', { json: { refresh_token: this.refreshToken }, token: null });
    if (refreshed.status !== 200) return first;
    this.refreshes++;
    this.accessToken = refreshed.body.access_token;
    return this.raw(method, path, options);
  }

  /** One request, no retry. */
  async raw(method: string, path: string, options: BeeCall = {}): Promise<BeeReply> {
    const token = options.token === undefined ? this.accessToken : options.token;
    const [url, init] = requestOf(this.api + path, method, options, token ? { authorization: `Bearer ${token}` } : {});
    return replyOf(await fetch(url, init));
  }
}

export interface BeeGatewayOptions {
  store?: 'memory' | 'redis';
  redisUrl?: string;
  /** Base URL of the local OpenAI-compatible server: becomes model `mock`, the demo agent's and the default model. */
  modelUrl?: string;
  configure?: (raw: RawConfig) => void;
}

/** The real gateway from the shipped config; `api` of the result is its OpenBee base (`/openbee/api`). */
export async function startBeeGateway(options: BeeGatewayOptions = {}): Promise<TestGateway & { api: string }> {
  const gw = await startTestGateway({
    store: options.store,
    redisUrl: options.redisUrl,
    configure: (raw) => {
      // All test clients share one address: the per-address login budget is tested on its own (auth.test.ts).
      raw.dialects.openbee.login_attempts_per_minute = 1000;
      if (options.modelUrl) {
        raw.models.push({ name: 'mock', kind: 'openai', base_url: options.modelUrl, api_key: 'sk-test', max_retries: 0, stall_timeout_ms: 20_000 });
        raw.bootstrap.agents[0].model = 'mock';
        // Workers created through the API have no model of their own: they run on the default.
        raw.default_model = 'mock';
      }
      options.configure?.(raw);
    },
  });
  return { ...gw, api: `${gw.baseUrl}/openbee/api` };
}

/** A client logged in as a demo user (alice is an admin, bob is not). */
export async function loggedIn(api: string, who: 'alice' | 'bob' = 'alice'): Promise<BeeClient> {
  const client = new BeeClient(api);
  const reply = await client.login(who, `${who}-password`);
  if (reply.status !== 200) throw new Error(`login as ${who}: ${reply.status} ${reply.text}`);
  return client;
}
