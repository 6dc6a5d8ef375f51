import type { ProviderContext } from 'oidc-provider';

/**
 * oidc-provider answers two token-endpoint failures with `invalid_request`
 * where RFC 6749 §5.2 names another code, and a client library reading the
 * code (to tell "fix my credentials" from "fix my request") goes wrong:
 *
 * - no client authentication at all (token, introspection, revocation):
 *   `invalid_client`, "no client authentication included", sent as 401 with
 *   the scheme a client should use (RFC 6749 §5.2, RFC 7662 §2.3);
 * - a grant the client is not registered for: `unauthorized_client`.
 *
 * The answers are recognised by oidc-provider's own descriptions; the
 * contract fixtures (fixtures/oauth/token-errors.yaml, endpoint-errors.yaml)
 * catch a change of wording.
 */
const CORRECTIONS = new Map<string, { status: number; error: string; basicAuth?: true }>([
  ['no client authentication mechanism provided', { status: 401, error: 'invalid_client', basicAuth: true }],
  ['requested grant type is not allowed for this client', { status: 400, error: 'unauthorized_client' }],
]);

/** Middleware for `provider.use`: rewrites those two answers after oidc-provider wrote them. */
export function rfcErrorCodes(realm: string) {
  return async (ctx: ProviderContext, next: () => Promise<void>): Promise<void> => {
    await next();
    const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
    if (!body || typeof body !== 'object' || body.error !== 'invalid_request' || typeof body.error_description !== 'string') return;
    const correction = CORRECTIONS.get(body.error_description);
    if (!correction) return;
    ctx.status = correction.status;
    ctx.body = { ...body, error: correction.error };
    if (correction.basicAuth) ctx.set('WWW-Authenticate', `Basic realm="${realm}"`);
  };
}
