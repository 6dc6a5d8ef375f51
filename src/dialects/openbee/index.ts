import { userTokenScheme } from '../../http/user-jwts.js';
import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { authHandlers } from './auth-handlers.js';
import type { OpenBeeContext } from './context.js';
import { openBeeEnvelope } from './envelope.js';
import { renderOpenBeeError } from './errors.js';
import { executionHandlers } from './executions.js';
import { mediaHandlers } from './media.js';
import { messageHandlers } from './messages.js';
import { sessionHandlers } from './sessions.js';
import { streamHandlers } from './stream.js';
import { OpenBeeTokens } from './tokens.js';
import { workerHandlers } from './workers.js';

/**
 * The OpenBee API (`/api/*` under the dialect's prefix): workers are the
 * engine's agents, executions its tasks, local sessions its conversations.
 * Its access tokens are a credential kind of the gateway (`openbee_token`),
 * so the user a token names is the same user in every API whose routes
 * accept it; a refresh token presented as an access token is refused.
 */
export const createOpenBeeDialect: DialectFactory = ({ engine, config, logger, streams, views, credentials }) => {
  const options = config.dialects.openbee;
  const tokens = new OpenBeeTokens(engine, options);
  credentials.register('openbee_token', userTokenScheme((token) => tokens.check(token, 'access')));
  const c: OpenBeeContext = { engine, config, options, logger, streams, views, tokens };
  return {
    name: 'openbee',
    handlers: {
      // Any route of the table not implemented below answers 501 in this API's error shape.
      ...notImplementedHandlers('openbee'),
      ...authHandlers(c),
      ...workerHandlers(c),
      ...executionHandlers(c),
      ...sessionHandlers(c),
      ...messageHandlers(c),
      ...mediaHandlers(c),
      ...streamHandlers(c),
    },
    envelope: openBeeEnvelope,
    renderError: renderOpenBeeError,
  };
};
