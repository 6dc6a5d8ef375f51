import type { Config } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import type { Conversation, Principal } from '../../engine/records.js';
import { routeOf } from '../../http/dialect.js';
import { createConversation } from './conversation-ids.js';
import { defaultAgent } from './default-agent.js';
import type { AuthedHandler } from '../../http/as-user.js';
import { loadImages } from './message-images.js';
import { parseSendMessage } from './send-message-request.js';

/** The slot that lets one user run one task at a time through this API (shared with any API that uses it). */
export const userSlot = (principal: Principal) => `user:${principal.tenant}/${principal.userId}`;

/**
 * `POST /messages`: starts a background task and answers 202 at once; the
 * client then polls `/tasks/{task_id}`. The conversation is created when the
 * request names none (and removed again if the task cannot start, so a
 * refused message leaves nothing behind). A named conversation must be the
 * caller's own (404 otherwise) and keeps the agent it was created with, also
 * when it was created through another API.
 */
export function messageSend(engine: Engine, config: Config): AuthedHandler {
  return async (ctx, principal) => {
    const request = parseSendMessage(ctx.request.body, config);
    const existing = request.conversationId ? await engine.conversations.get(principal, request.conversationId) : undefined;
    const images = await loadImages(engine, principal, request.images);
    const agentId = existing?.agentId ?? (await defaultAgent(engine, config.dialects['agents-v1'], principal)).id;
    const created: Conversation | undefined = existing ? undefined : await createConversation(engine, principal, agentId);
    try {
      const task = await engine.tasks.create(principal, {
        agentId,
        concurrency: routeOf(ctx).concurrency,
        conversationId: (existing ?? created)!.id,
        input: { text: request.text, ...(images.length ? { images } : {}) },
        model: request.model,
        reasoning: request.reasoning,
        maxLoops: request.maxLoops,
        exclusive: [userSlot(principal)],
        meta: { dialect: 'agents-v1', ...(request.runMode ? { run_mode: request.runMode } : {}) },
      });
      return {
        task_id: task.id,
        conversation_id: task.conversationId,
        status: 'running',
        created_at: task.createdAt / 1000,
      };
    } catch (err) {
      if (created) await engine.conversations.delete(principal, created.id).catch(() => undefined);
      throw err;
    }
  };
}
