import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { sageBody } from './auth-body.js';
import { sageTenant } from './auth-tokens.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { conversationSnapshot } from './stream-conversation-handlers.js';
import { sageStreamViews } from './stream-view.js';

/**
 * The shared view: a conversation its owner marked shared
 * (`POST /api/conversations/{id}/share`) reads without a login at
 * `/api/share/conversations/{id}/messages`, in Sage's tenant, as its owner's
 * messages route shows it. One not shared (or gone) is "not found", exactly
 * like one that never existed, so the route reveals nothing else.
 */
export function shareHandlers(c: SageContext): Record<string, Handler> {
  const views = sageStreamViews(c.views).chat;
  return {
    conversationShare: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const raw = sageBody(ctx).shared;
      if (raw !== undefined && typeof raw !== 'boolean') {
        throw sageError('invalid_argument', { 'zh-CN': 'shared 必须是布尔值', en: 'shared must be a boolean' }, { field: 'shared' });
      }
      const shared = raw ?? true;
      await c.engine.shares.set(principal, sessionId, shared);
      return { session_id: sessionId, shared, share_path: shared ? `/api/share/conversations/${encodeURIComponent(sessionId)}/messages` : null };
    }),
    sharedConversationMessages: async (ctx) => {
      const sessionId = pathParam(ctx, 'session_id');
      const { owner } = await c.engine.shares.find(sageTenant(c), sessionId);
      const { next_stream_index: _index, ...snapshot } = await conversationSnapshot(c, views, owner, sessionId);
      return snapshot;
    },
  };
}
