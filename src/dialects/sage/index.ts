import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { agentHandlers } from './agent-handlers.js';
import { authHandlers } from './auth-handlers.js';
import type { SageContext } from './context.js';
import { conversationEditHandlers } from './conversation-edit-handlers.js';
import { conversationHandlers } from './conversation-handlers.js';
import { registerSageCredentials } from './credentials.js';
import { sageEnvelope } from './envelope.js';
import { renderSageError } from './errors.js';
import { guidanceHandlers } from './guidance-handlers.js';
import { streamConversationHandlers } from './stream-conversation-handlers.js';
import { streamHandlers } from './stream-handlers.js';
import { shareHandlers } from './share-handlers.js';
import { systemHandlers } from './system-handlers.js';
import { userHandlers } from './user-handlers.js';

/**
 * The Sage HTTP API (`/api/*`): agents are the engine's agents, conversations
 * its conversations, chat streams NDJSON views of its tasks. Its access
 * tokens and session cookie are credential kinds of the gateway, so the user
 * they name is the same user in every API.
 */
export const createSageDialect: DialectFactory = ({ engine, config, logger, streams, views, credentials, signOut }) => {
  const c: SageContext = { engine, config, options: config.dialects.sage, logger, streams, views, signOut };
  registerSageCredentials(c, credentials);
  return {
    name: 'sage',
    handlers: {
      // Any route of the table not implemented below answers 501 in this API's error shape.
      ...notImplementedHandlers('sage'),
      ...authHandlers(c),
      ...userHandlers(c),
      ...systemHandlers(c),
      ...agentHandlers(c),
      ...streamHandlers(c),
      ...conversationHandlers(c),
      ...streamConversationHandlers(c),
      ...conversationEditHandlers(c),
      ...guidanceHandlers(c),
      ...shareHandlers(c),
    },
    envelope: sageEnvelope,
    renderError: renderSageError,
  };
};
