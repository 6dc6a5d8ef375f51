import { userTokenScheme } from '../../http/user-jwts.js';
import type { DialectFactory } from '../../http/dialect.js';
import { formatSse } from '../../stream/sse.js';
import { basicHandlers } from './basic-handlers.js';
import type { BitAgentContext } from './context.js';
import { bitAgentEnvelope } from './envelope.js';
import { errorMessage, renderBitAgentError } from './errors.js';
import { sessionHandlers } from './session-handlers.js';
import { taskHandlers } from './task-handlers.js';
import { bitAgentViews } from './stream-view.js';
import { UserTokens } from './user-tokens.js';

/**
 * The bit-Agent OpenAPI (`/v3/openapi/*`). Its user tokens are a credential
 * kind of the gateway (`bitagent_token`), so the user a token names is the
 * same user in every API whose routes accept it. An expired or tampered
 * user token is refused with its reason; any other token is left to the
 * other kinds a route lists.
 */
export const createBitAgentDialect: DialectFactory = ({ engine, config, logger, streams, views, credentials }) => {
  const options = config.dialects.bitagent;
  const tokens = new UserTokens(engine, options.token_ttl_seconds);
  credentials.register('bitagent_token', userTokenScheme((token) => tokens.check(token)));
  const c: BitAgentContext = { engine, config, options, logger, streams, tokens, views: bitAgentViews(views) };
  return {
    name: 'bitagent',
    handlers: { ...basicHandlers(c), ...taskHandlers(c), ...sessionHandlers(c) },
    envelope: bitAgentEnvelope,
    renderError: renderBitAgentError,
    // Headers are sent: the failure is told inside the stream, in the words of this API's errors, then `close`.
    streamError: async (error, stream) => {
      await stream.write(formatSse({ event: 'error', data: errorMessage(error) }));
      await stream.write(formatSse({ event: 'close', data: 'close' }));
    },
  };
};
