/** The options of `dialects.sage` beyond every dialect's own (JSON Schema, part of the one config schema). */
export const sageOptionsSchema = {
  // native: password logins and registration; trusted_proxy: identity from a proxy's header;
  // oauth: logins through an upstream OpenID provider.
  auth_mode: { enum: ['native', 'trusted_proxy', 'oauth'], default: 'native' },
  // Sage logins name no tenant: they are looked up in this one (the first bootstrap tenant when unset).
  tenant: { type: 'string', minLength: 1 },
  allow_registration: { type: 'boolean', default: true },
  // Addresses or CIDR ranges whose `X-Sage-Internal-UserId` header is believed (trusted_proxy mode).
  trusted_proxies: { type: 'array', items: { type: 'string' }, default: [] },
  access_token_ttl_seconds: { type: 'integer', minimum: 60, default: 86_400 },
  // A quiet chat stream gets a `: heartbeat` line after this long (the public server's 20 s).
  heartbeat_seconds: { type: 'integer', minimum: 1, maximum: 300, default: 20 },
  // The agent of a chat that names none; the tenant's first agent when unset.
  default_agent: { type: 'string', minLength: 1 },
  // Where `/api/observability/jaeger*` sends admins; unset: those routes answer 404.
  jaeger_url: { type: 'string', pattern: '^https?://' },
  // The upstream OpenID providers of the `oauth` mode, the first being the default
  // (/api/auth/upstream/login without an id). See docs/dialects/sage.md.
  upstream_providers: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'issuer', 'client_id'],
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
        name: { type: 'string', minLength: 1 },
        // Discovered through RFC 8414 / OpenID discovery at this URL.
        issuer: { type: 'string', pattern: '^https?://[^?#]+$' },
        client_id: { type: 'string', minLength: 1 },
        // Best given as `${SOME_ENV_VAR}`; absent: a public client (PKCE alone).
        client_secret: { type: 'string', minLength: 1 },
        scope: { type: 'string', default: 'openid profile email' },
        // The callback URL registered at the provider; derived from the request when unset
        // (set it when a proxy in front changes the path, e.g. strips /prod-api).
        redirect_uri: { type: 'string', pattern: '^https?://' },
        // Whether a first login joins an existing user with the same email: only when the
        // provider says the address is verified, whatever it says, or never.
        link_by_email: { enum: ['verified', 'any', 'never'], default: 'verified' },
      },
    },
  },
  // Registration codes go out by SMTP when set; else to the server log and `<data_dir>/outbox/`.
  // `secure: true` is TLS from the start (port 465); otherwise STARTTLS is used when the server
  // offers it. `user` + `password` log in; the password is best given as `${SOME_ENV_VAR}`.
  smtp: {
    type: 'object',
    additionalProperties: false,
    required: ['host', 'from'],
    // A password with no user would be dropped silently, the mail then sent without a login.
    dependencies: { password: ['user'] },
    properties: {
      host: { type: 'string', minLength: 1 },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 587 },
      secure: { type: 'boolean', default: false },
      user: { type: 'string' },
      password: { type: 'string' },
      from: { type: 'string', minLength: 3 },
    },
  },
};
