/** The resolved, validated configuration. Frozen after boot; never read per request from disk. */

export type DialectName = 'sage' | 'bitagent' | 'agents-v1' | 'openbee';
export const DIALECT_NAMES: readonly DialectName[] = ['sage', 'bitagent', 'agents-v1', 'openbee'];

export interface ModelConfig {
  /** What clients choose (bit-Agent llm_registry, Agents-v1 model_key, Sage providers). */
  name: string;
  kind: 'openai' | 'demo';
  base_url?: string;
  api_key?: string;
  /** The upstream model id sent in requests; defaults to `name`. */
  model?: string;
  /** Extra request body fields merged into every call (provider-specific switches). */
  params?: Record<string, unknown>;
  /** Request body fields merged in when the run asks for reasoning (e.g. `{thinking: {type: enabled}}`). */
  reasoning_params?: Record<string, unknown>;
  /** Send `stream_options: {include_usage: true}` (retried once without it when refused). */
  stream_usage: boolean;
  /** Send the model's reasoning back as `reasoning_content` on assistant turns (DeepSeek wants it; most servers reject it). */
  send_reasoning: boolean;
  /** Call without streaming when tools are offered (servers that drop streamed tool calls). */
  non_streaming_tools: boolean;
  /**
   * Run `<tool_call>{...}</tool_call>` blocks written into the answer text as tool calls, on turns that offer
   * tools (servers without a tool-call parser); off for models that write such tags as text.
   */
  inline_tool_calls: boolean;
  /** Per-attempt limits. */
  timeout_ms: number;
  stall_timeout_ms: number;
  max_retries: number;
}

export interface DialectConfig {
  enabled: boolean;
  prefix: string;
  /** Also serve this dialect alone on its own listener. */
  port?: number;
}

export interface BitAgentConfig extends DialectConfig {
  /** Lifetime of user tokens; `null` = no expiry. */
  token_ttl_seconds: number | null;
  /** The agent that `/session/chat` talks to; the tenant's first agent when unset. */
  session_agent?: string;
}

export interface AgentsV1Config extends DialectConfig {
  /** The agent that runs `/messages`; the tenant's first agent when unset. */
  default_agent?: string;
}

export interface SageConfig extends DialectConfig {
  auth_mode: 'native' | 'trusted_proxy' | 'oauth';
  /** The tenant Sage logins are looked up in; the first bootstrap tenant when unset. */
  tenant?: string;
  allow_registration: boolean;
  /** Addresses or CIDR ranges whose `X-Sage-Internal-UserId` is believed (trusted_proxy mode). */
  trusted_proxies: string[];
  access_token_ttl_seconds: number;
  /** A quiet chat stream's heartbeat interval (20 s, as the public server). */
  heartbeat_seconds: number;
  /** The agent of a chat that names none; the tenant's first agent when unset. */
  default_agent?: string;
  /** Where `/api/observability/jaeger*` sends admins; unset: 404. */
  jaeger_url?: string;
  /** The upstream OpenID providers of the `oauth` mode, the first being the default. */
  upstream_providers: UpstreamProvider[];
  /** Mail for registration codes; unset: the server log and `<data_dir>/outbox/`. */
  smtp?: { host: string; port: number; secure: boolean; user?: string; password?: string; from: string };
}

/** An upstream OpenID provider Sage users log in through (`dialects.sage.upstream_providers[]`). */
export interface UpstreamProvider {
  id: string;
  name?: string;
  issuer: string;
  client_id: string;
  client_secret?: string;
  scope: string;
  /** The callback URL registered at the provider; derived from the request when unset. */
  redirect_uri?: string;
  /** Whether a first login joins an existing user of the same email. */
  link_by_email: 'verified' | 'any' | 'never';
}

export interface OpenBeeConfig extends DialectConfig {
  /** The tenant OpenBee logins are looked up in; the first bootstrap tenant when unset. */
  tenant?: string;
  /** The worker of a local session created without one; the tenant's first agent when unset. */
  default_agent?: string;
  access_token_ttl_seconds: number;
  refresh_token_ttl_seconds: number;
  /** Login attempts allowed per client address and minute (429 beyond). */
  login_attempts_per_minute: number;
}

export interface TenantSeed {
  code: string;
  name: string;
  api_keys: string[];
}

export interface UserSeed {
  id: string;
  tenant: string;
  username: string;
  email?: string;
  password?: string;
  admin: boolean;
  tokens: string[];
}

export interface AgentSeed {
  id: string;
  tenant: string;
  name: string;
  description: string;
  system_prompt: string;
  model?: string;
  tools: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  work_dir?: string;
  max_loops: number;
}

export interface OAuthClientSeed {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  grant_types: string[];
}

/** What a new task in a conversation that already runs one does (see `NewTask.concurrency`). */
export type ConcurrencyPolicy = 'reject' | 'enqueue' | 'interrupt';

export interface Config {
  server: {
    host: string;
    port: number;
    /** Largest accepted JSON/form body. */
    body_limit: string;
    /** Largest accepted upload. */
    upload_limit_bytes: number;
    /** Comment-line heartbeat on idle streams. */
    heartbeat_ms: number;
    /** How long a graceful shutdown waits for running tasks before failing them. */
    shutdown_grace_ms: number;
    /** Most time a client may take to send the request line and headers. */
    headers_timeout_ms: number;
    /** Most time a client may take to send a whole request, body included (responses and streams are not counted). */
    request_timeout_ms: number;
    /** A request body that sends nothing for this long is cut. */
    body_idle_timeout_ms: number;
    /** How long an idle keep-alive connection is kept open. */
    keep_alive_timeout_ms: number;
    /** Largest request line plus headers; beyond it the request gets a 431. */
    max_header_bytes: number;
    /** A stream whose client has taken no bytes for this long (its socket stays full) is dropped. */
    stream_stall_ms: number;
    /** Proxies (addresses or CIDR ranges) whose `X-Forwarded-*` headers are honoured; none by default. */
    trust_proxy: string[];
    /** Cookie signing keys, newest first; derived from the signing key when unset. */
    cookie_keys?: string[];
  };
  store: {
    kind: 'memory' | 'sqlite' | 'redis';
    url: string;
    data_dir: string;
    /** Every store call fails (503 to the client) when the store has not answered within this. */
    command_timeout_ms: number;
  };
  engine: {
    /** What a second task in a busy conversation gets: an error, a place in line, or the running one stopped for it. */
    concurrency: ConcurrencyPolicy;
    /** Most events kept per task log. */
    event_log_cap: number;
    /** How long a finished task and its log are kept. */
    retention_seconds: number;
    /** How long a conversation (with its messages) is kept after its last change; 0 = until deleted. */
    conversation_retention_seconds: number;
    /** How long an upload (record and bytes) is kept after it was stored; 0 = until its owner is removed. */
    file_retention_seconds: number;
    /** How long an idempotency key maps to its task. */
    idempotency_ttl_seconds: number;
    /** A runner renews its lease at a third of this; a task whose lease lapses is failed. */
    lease_ms: number;
    /** Folders a client may name as an agent's work folder, beside `<data_dir>/workers`. */
    work_dir_roots: string[];
  };
  /** Per-user bounds; each refusal is the dialect's 429. */
  limits: {
    /** Local tasks started and not yet finished (running or waiting their turn), across instances. */
    running_tasks_per_user: number;
    /** Open streams on one instance. */
    streams_per_user: number;
    /** Uploads being stored at once on one instance. */
    uploads_per_user: number;
  };
  models: ModelConfig[];
  default_model: string;
  dialects: { sage: SageConfig; bitagent: BitAgentConfig; 'agents-v1': AgentsV1Config; openbee: OpenBeeConfig };
  auth: {
    jwt_secret?: string;
    /** A login session unused this long ends (sliding). */
    session_idle_seconds: number;
    /** A login session ends this long after it began, however busy. */
    session_absolute_seconds: number;
    refresh_token_ttl_seconds: number;
    /** Each use of a refresh token returns a new one; reusing a used one ends its whole login. */
    refresh_token_rotation: boolean;
    /** Failed logins allowed per account, then per client address, within `login_window_seconds` (429 beyond). */
    login_failures_per_account: number;
    login_failures_per_address: number;
    login_window_seconds: number;
    /**
     * How long (ms) an instance keeps a verified static token or API key
     * without asking the store again; 0 verifies every request. A directory
     * change that could alter the answer clears every instance's cache at
     * once, so this bounds staleness only when that signal is lost.
     */
    cache_ms: number;
  };
  /** The embedded OAuth2/OpenID Connect authorization server. */
  oauth: {
    /** The issuer identifier; `http://<server.host>:<port>` when unset. */
    issuer?: string;
    /** The tenant whose users sign in on its login page; the first bootstrap tenant when unset. */
    tenant?: string;
    /** Private signing keys (JWKS), newest first; generated once and kept in the store when unset. */
    signing_keys?: { keys: Record<string, unknown>[] };
    /** Serve RFC 7591 dynamic client registration. */
    dynamic_registration: boolean;
    access_token_ttl_seconds: number;
    refresh_token_ttl_seconds: number;
  };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  bootstrap: {
    tenants: TenantSeed[];
    users: UserSeed[];
    agents: AgentSeed[];
    oauth_clients: OAuthClientSeed[];
  };
}
