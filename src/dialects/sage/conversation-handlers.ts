import { asUser } from '../../http/as-user.js';
import { attachmentHeader } from '../../http/attachment.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { optionalText, requiredText, sageBody } from './auth-body.js';
import type { SageContext } from './context.js';
import { AgentNames, conversationItem, roleCounts } from './conversation-dto.js';
import { allMessages, conversationMarkdown, exportFileName } from './conversation-export.js';
import { optimizeInput, optimizeInputStream } from './conversation-optimize.js';
import { conversationOwner } from './conversation-owner.js';
import { listQueryOf } from './conversation-query.js';
import { interruptSession, sessionTasksStatus } from './conversation-sessions.js';

/**
 * Conversations as Sage's sidebar sees them. Conversations belong to one
 * user in the engine, so every route here reaches the caller's own: another
 * user's conversation is "not found". Only listing and deleting take
 * `?user_id=` for an admin (see conversation-owner.ts).
 */
export function conversationHandlers(c: SageContext): Record<string, Handler> {
  const { engine } = c;
  return {
    conversationList: asUser(async (ctx, caller) => {
      const principal = await conversationOwner(engine, ctx, caller);
      const { page, pageSize, query } = listQueryOf(ctx);
      const { items, total } = await engine.conversations.list(principal, { offset: (page - 1) * pageSize, limit: pageSize }, query);
      const names = new AgentNames(engine, principal);
      const list = await Promise.all(
        items.map(async (conv) => {
          const messages = await engine.conversations.messages(principal, conv.id);
          return conversationItem(conv, await names.of(conv.agentId), roleCounts(messages), c.options.jaeger_url);
        }),
      );
      const totalPages = Math.ceil(total / pageSize);
      return { list, total, page, page_size: pageSize, total_pages: totalPages, has_next: page < totalPages, has_prev: page > 1 };
    }),

    conversationRename: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const title = requiredText(sageBody(ctx), 'title');
      const renamed = await engine.conversations.rename(principal, sessionId, title);
      return { session_id: renamed.id, title: renamed.title };
    }),

    conversationDelete: asUser(async (ctx, caller) => {
      const principal = await conversationOwner(engine, ctx, caller);
      const sessionId = pathParam(ctx, 'session_id');
      await engine.conversations.delete(principal, sessionId);
      return { session_id: sessionId };
    }),

    sessionInterrupt: asUser(async (ctx, principal) => {
      const message = optionalText(sageBody(ctx), 'message');
      return interruptSession(engine, principal, pathParam(ctx, 'session_id'), message);
    }),

    sessionTasksStatus: asUser(async (ctx, principal) => sessionTasksStatus(engine, principal, pathParam(ctx, 'session_id'))),

    sessionDownload: asUser(async (ctx, principal) => {
      const conversation = await engine.conversations.get(principal, pathParam(ctx, 'session_id'));
      const messages = await allMessages(engine, principal, conversation.id);
      const agentName = await new AgentNames(engine, principal).of(conversation.agentId);
      ctx.set('Content-Disposition', attachmentHeader(exportFileName(conversation)));
      ctx.type = 'text/markdown; charset=utf-8';
      ctx.body = conversationMarkdown(conversation, agentName, messages);
      return undefined;
    }),

    chatOptimizeInput: asUser(async (ctx) => optimizeInput(c, ctx)),

    chatOptimizeInputStream: asUser(async (ctx, principal) => optimizeInputStream(c, ctx, principal)),
  };
}
