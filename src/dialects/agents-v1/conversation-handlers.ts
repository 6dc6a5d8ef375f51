import type { Config } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import { createConversation } from './conversation-ids.js';
import { defaultAgent } from './default-agent.js';
import type { AuthedHandler } from '../../http/as-user.js';

/**
 * `POST /conversations`: a new, empty conversation with this API's agent. It
 * is a conversation like any other: the same user sees it in every API.
 */
export function conversationCreate(engine: Engine, config: Config): AuthedHandler {
  return async (_ctx, principal) => {
    const agent = await defaultAgent(engine, config.dialects['agents-v1'], principal);
    const conversation = await createConversation(engine, principal, agent.id);
    return { conversation_id: conversation.id };
  };
}
