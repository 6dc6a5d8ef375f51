import type { Guidance } from '../../engine/guidance.js';
import { isFinal } from '../../engine/task-finish.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { sageBody } from './auth-body.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { latestTask } from './stream-run.js';

const NOT_RUNNING = { 'zh-CN': '会话当前没有正在运行的任务', en: 'The session has no running reply to guide' };

function metadataOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const v = body.metadata;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw sageError('invalid_argument', { 'zh-CN': 'metadata 必须是对象', en: 'metadata must be an object' }, { field: 'metadata' });
  return v as Record<string, unknown>;
}

const item = (g: Guidance) => ({ guidance_id: g.id, content: g.content, status: 'pending', timestamp: g.createdAt / 1000 });

/**
 * Guidance (`/api/sessions/{id}/inject-user-message`): a message sent into a
 * running reply without stopping it. It waits until the run's next model
 * turn, which reads it and streams it back as a user line whose metadata
 * carries its `guidance_id`; until then it can be listed, edited, withdrawn.
 */
export function guidanceHandlers(c: SageContext): Record<string, Handler> {
  const { guidance } = c.engine;
  return {
    sessionInjectUserMessage: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const body = sageBody(ctx);
      await c.engine.conversations.get(principal, sessionId);
      const task = await latestTask(c, principal, sessionId);
      if (!task || isFinal(task)) throw sageError('conflict', NOT_RUNNING);
      const id = typeof body.guidance_id === 'string' && body.guidance_id ? body.guidance_id : undefined;
      const added = await guidance.add(principal, sessionId, { id, content: body.content, meta: metadataOf(body) });
      return { session_id: sessionId, guidance_id: added.id, accepted: true };
    }),
    sessionGuidanceList: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      return { session_id: sessionId, items: (await guidance.list(principal, sessionId)).map(item) };
    }),
    sessionGuidanceEdit: asUser(async (ctx, principal) => {
      await guidance.edit(principal, pathParam(ctx, 'session_id'), pathParam(ctx, 'guidance_id'), sageBody(ctx).content);
      return { updated: true };
    }),
    sessionGuidanceDelete: asUser(async (ctx, principal) => {
      await guidance.remove(principal, pathParam(ctx, 'session_id'), pathParam(ctx, 'guidance_id'));
      return { deleted: true };
    }),
  };
}
