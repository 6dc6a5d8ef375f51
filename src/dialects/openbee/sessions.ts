import { EngineError } from '../../engine/errors.js';
import type { Conversation, Principal } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { defaultAgentOf } from '../default-agent.js';
import type { OpenBeeContext } from './context.js';
import { bodyObject, optionalString } from './request-body.js';

/** Most sessions one list shows (newest first); this API's list has no paging. */
const LIST_LIMIT = 1000;

export interface LocalSession {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

const view = (conversation: Conversation): LocalSession => ({
  id: conversation.id,
  name: conversation.title,
  created_at: conversation.createdAt,
  updated_at: conversation.updatedAt,
});

/**
 * Local sessions are the user's conversations, whichever API started them.
 * A new one runs on the configured default worker, or on the one named by
 * `worker_id` (beyond the document: lets a client chat with any worker).
 * Deleting one removes its messages, tasks and uploads with it.
 */
export function sessionHandlers(c: OpenBeeContext): Record<string, Handler> {
  const { engine } = c;

  const workerFor = async (principal: Principal, workerId: string | undefined): Promise<string> => {
    if (workerId !== undefined) return (await engine.directory.getAgent(principal, workerId)).id;
    const agent = await defaultAgentOf(engine, c.options.default_agent, principal);
    if (!agent) throw new EngineError('unavailable', 'no worker is available: configure an agent for this tenant');
    return agent.id;
  };

  return {
    localSessionCreate: asUser(async (ctx, principal) => {
      const body = bodyObject(ctx);
      const name = optionalString(body, 'name')?.trim();
      const agentId = await workerFor(principal, optionalString(body, 'worker_id'));
      const conversation = await engine.conversations.create(principal, {
        agentId,
        ...(name ? { title: name } : {}),
        meta: { dialect: 'openbee' },
      });
      return view(conversation);
    }),
    localSessionList: asUser(async (_ctx, principal) => {
      const { items } = await engine.conversations.list(principal, { offset: 0, limit: LIST_LIMIT }, { sort: 'created', order: 'desc' });
      return items.map(view);
    }),
    localSessionDelete: asUser(async (ctx, principal) => {
      await engine.conversations.delete(principal, pathParam(ctx, 'id'));
      return { status: 'deleted' };
    }),
  };
}
