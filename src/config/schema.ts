import { agentsV1OptionsSchema } from '../dialects/agents-v1/options.js';
import { bitAgentOptionsSchema } from '../dialects/bitagent/options.js';
import { openBeeOptionsSchema } from '../dialects/openbee/options.js';
import { sageOptionsSchema } from '../dialects/sage/options.js';

/**
 * The one JSON Schema of the configuration file. Unknown keys are refused
 * everywhere (`additionalProperties: false`) and defaults are filled in by the
 * validator, so the rest of the code reads a complete `Config`.
 */

const str = { type: 'string' } as const;
const strList = { type: 'array', items: str, default: [] } as const;
const jsonSchemaObject = { type: 'object' } as const;

function closed(properties: Record<string, unknown>, required: string[] = [], extra: object = {}) {
  return { type: 'object', additionalProperties: false, properties, required, ...extra };
}

const dialect = (prefix: string, extra: Record<string, unknown> = {}) =>
  closed(
    {
      enabled: { type: 'boolean', default: true },
      prefix: { type: 'string', pattern: '^(/[A-Za-z0-9._~-]+)*$', default: prefix },
      // 0 = any free port (tests); a real deployment names one.
      port: { type: 'integer', minimum: 0, maximum: 65535 },
      ...extra,
    },
    [],
    { default: {} },
  );

const model = closed(
  {
    name: { type: 'string', minLength: 1 },
    kind: { enum: ['openai', 'demo'] },
    base_url: { type: 'string', pattern: '^https?://' },
    api_key: str,
    model: str,
    params: { type: 'object', default: {} },
    reasoning_params: { type: 'object', default: {} },
    stream_usage: { type: 'boolean', default: true },
    non_streaming_tools: { type: 'boolean', default: false },
    send_reasoning: { type: 'boolean', default: false },
    inline_tool_calls: { type: 'boolean', default: true },
    timeout_ms: { type: 'integer', minimum: 1, default: 300_000 },
    stall_timeout_ms: { type: 'integer', minimum: 1, default: 90_000 },
    max_retries: { type: 'integer', minimum: 0, maximum: 10, default: 3 },
  },
  ['name', 'kind'],
);

export const configSchema = closed(
  {
    server: closed(
      {
        host: { type: 'string', default: '0.0.0.0' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8000 },
        body_limit: { type: 'string', pattern: '^[0-9]+(b|kb|mb)$', default: '1mb' },
        upload_limit_bytes: { type: 'integer', minimum: 1, default: 50 * 1024 * 1024 },
        heartbeat_ms: { type: 'integer', minimum: 100, default: 15_000 },
        shutdown_grace_ms: { type: 'integer', minimum: 0, default: 10_000 },
        headers_timeout_ms: { type: 'integer', minimum: 100, default: 10_000 },
        request_timeout_ms: { type: 'integer', minimum: 100, default: 120_000 },
        body_idle_timeout_ms: { type: 'integer', minimum: 100, default: 15_000 },
        keep_alive_timeout_ms: { type: 'integer', minimum: 100, default: 65_000 },
        max_header_bytes: { type: 'integer', minimum: 1024, maximum: 1_048_576, default: 16_384 },
        stream_stall_ms: { type: 'integer', minimum: 100, default: 30_000 },
        // Addresses or CIDR ranges of the proxies whose X-Forwarded-* headers are believed.
        trust_proxy: { ...strList },
        cookie_keys: { type: 'array', minItems: 1, items: { type: 'string', minLength: 32 } },
      },
      [],
      { default: {} },
    ),
    store: closed(
      {
        kind: { enum: ['memory', 'sqlite', 'redis'], default: 'sqlite' },
        url: { type: 'string', default: 'redis://127.0.0.1:6379' },
        data_dir: { type: 'string', default: './data' },
        command_timeout_ms: { type: 'integer', minimum: 50, default: 3_000 },
      },
      [],
      { default: {} },
    ),
    engine: closed(
      {
        concurrency: { enum: ['reject', 'enqueue', 'interrupt'], default: 'reject' },
        event_log_cap: { type: 'integer', minimum: 10, default: 10_000 },
        retention_seconds: { type: 'integer', minimum: 1, default: 7 * 24 * 3600 },
        // 0 = kept until deleted (or their owner is removed).
        conversation_retention_seconds: { type: 'integer', minimum: 0, default: 90 * 24 * 3600 },
        file_retention_seconds: { type: 'integer', minimum: 0, default: 30 * 24 * 3600 },
        idempotency_ttl_seconds: { type: 'integer', minimum: 1, default: 24 * 3600 },
        lease_ms: { type: 'integer', minimum: 300, default: 15_000 },
        // Folders a client may name as an agent's work folder (`<data_dir>/workers` always is one).
        work_dir_roots: { ...strList },
      },
      [],
      { default: {} },
    ),
    limits: closed(
      {
        running_tasks_per_user: { type: 'integer', minimum: 1, default: 32 },
        streams_per_user: { type: 'integer', minimum: 1, default: 64 },
        uploads_per_user: { type: 'integer', minimum: 1, default: 16 },
      },
      [],
      { default: {} },
    ),
    models: { type: 'array', items: model, minItems: 1 },
    default_model: { type: 'string', minLength: 1 },
    dialects: closed(
      {
        sage: dialect('', sageOptionsSchema),
        bitagent: dialect('/api', bitAgentOptionsSchema),
        'agents-v1': dialect('', agentsV1OptionsSchema),
        openbee: dialect('/openbee', openBeeOptionsSchema),
      },
      [],
      { default: {} },
    ),
    auth: closed(
      {
        // Signs the tokens the gateway issues. When unset, a random key is made once and kept in the
        // store, so every instance sharing the store (and a restart of a durable one) agrees on it.
        jwt_secret: { type: 'string', minLength: 32 },
        session_idle_seconds: { type: 'integer', minimum: 60, default: 30 * 60 },
        session_absolute_seconds: { type: 'integer', minimum: 60, default: 7 * 24 * 3600 },
        refresh_token_ttl_seconds: { type: 'integer', minimum: 60, default: 30 * 24 * 3600 },
        refresh_token_rotation: { type: 'boolean', default: true },
        login_failures_per_account: { type: 'integer', minimum: 1, default: 10 },
        login_failures_per_address: { type: 'integer', minimum: 1, default: 50 },
        login_window_seconds: { type: 'integer', minimum: 1, default: 15 * 60 },
        // How long an instance trusts a credential it verified (0 = verify every request); kept
        // short, since only a lost change signal leaves a revoked credential trusted that long.
        cache_ms: { type: 'integer', minimum: 0, maximum: 60_000, default: 2_000 },
      },
      [],
      { default: {} },
    ),
    oauth: closed(
      {
        // What relying parties discover and tokens name as `iss`; `http://<server.host>:<port>` when unset.
        issuer: { type: 'string', pattern: '^https?://[^?#]+$' },
        // The tenant whose users sign in on the login page; the first bootstrap tenant when unset.
        tenant: str,
        // A JWKS of private keys (the first of each algorithm signs); generated once and kept in the store when unset.
        signing_keys: closed({ keys: { type: 'array', minItems: 1, items: { type: 'object', required: ['kty'] } } }, ['keys']),
        dynamic_registration: { type: 'boolean', default: false },
        access_token_ttl_seconds: { type: 'integer', minimum: 1, default: 3600 },
        refresh_token_ttl_seconds: { type: 'integer', minimum: 60, default: 14 * 24 * 3600 },
      },
      [],
      { default: {} },
    ),
    log: closed(
      { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' } },
      [],
      { default: {} },
    ),
    bootstrap: closed(
      {
        tenants: {
          type: 'array',
          default: [],
          items: closed({ code: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._~-]+$' }, name: str, api_keys: strList }, [
            'code',
            'name',
          ]),
        },
        users: {
          type: 'array',
          default: [],
          items: closed(
            {
              id: { type: 'string', minLength: 1, maxLength: 128 },
              tenant: str,
              username: { type: 'string', minLength: 1 },
              email: str,
              password: { type: 'string', minLength: 1 },
              admin: { type: 'boolean', default: false },
              tokens: strList,
            },
            ['id', 'tenant', 'username'],
          ),
        },
        agents: {
          type: 'array',
          default: [],
          items: closed(
            {
              id: { type: 'string', minLength: 1 },
              tenant: str,
              name: { type: 'string', minLength: 1 },
              description: { type: 'string', default: '' },
              system_prompt: { type: 'string', default: '' },
              model: str,
              tools: strList,
              inputs: jsonSchemaObject,
              outputs: jsonSchemaObject,
              work_dir: str,
              max_loops: { type: 'integer', minimum: 1, maximum: 100, default: 8 },
            },
            ['id', 'tenant', 'name'],
          ),
        },
        oauth_clients: {
          type: 'array',
          default: [],
          items: closed(
            {
              client_id: { type: 'string', minLength: 1 },
              client_secret: str,
              redirect_uris: strList,
              grant_types: { type: 'array', items: str, default: ['authorization_code', 'refresh_token'] },
            },
            ['client_id'],
          ),
        },
      },
      [],
      { default: {} },
    ),
  },
  ['models', 'default_model'],
);
