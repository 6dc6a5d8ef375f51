import type { DialectFactory } from '../../http/dialect.js';
import type { BearerAuth } from '../../http/bearer-auth.js';
import { basicHandlers } from './basic-handlers.js';
import type { BitAgentContext } from './context.js';
import { bitAgentEnvelope } from './envelope.js';
import { renderBitAgentError } from './errors.js';
import { sessionHandlers } from './session-handlers.js';
import { taskHandlers } from './task-handlers.js';
import { UserTokens } from './user-tokens.js';

/** Gateways whose shared bearer verifiers already know bit-Agent user tokens (a dialect may be built twice). */
const registered = new WeakSet<BearerAuth>();

/**
 * The bit-Agent OpenAPI (`/v3/openapi/*`). Its user tokens are also added to
 * the gateway's shared bearer verifiers, so the user a token names is the
 * same user in every API the gateway speaks.
 */
export const createBitAgentDialect: DialectFactory = ({ engine, config, logger, streams, bearer }) => {
  const options = config.dialects.bitagent;
  const tokens = new UserTokens(engine, options.token_ttl_seconds);
  if (!registered.has(bearer)) {
    registered.add(bearer);
    bearer.add(async (token) => {
      const checked = await tokens.check(token);
      return checked.kind === 'valid' ? checked.principal : undefined;
    });
  }
  const c: BitAgentContext = { engine, config, options, logger, streams, bearer, tokens };
  return {
    name: 'bitagent',
    handlers: { ...basicHandlers(c), ...taskHandlers(c), ...sessionHandlers(c) },
    envelope: bitAgentEnvelope,
    renderError: renderBitAgentError,
  };
};
