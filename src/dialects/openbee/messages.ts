import type { Message, Principal } from '../../engine/records.js';
import { invalid } from '../../engine/errors.js';
import { asUser } from '../../http/as-user.js';
import { routeOf, type Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import type { OpenBeeContext } from './context.js';
import { beeText, isBeeReply } from './chat-messages.js';
import { resolveMedia } from './media.js';
import { rememberSeen } from './stream.js';
import { bodyObject, optionalString } from './request-body.js';

/** Most messages one read of a session returns (the oldest first); far beyond any chat's length. */
const HISTORY_LIMIT = 10_000;
const PAGE = 1000;

export interface ChatMessage {
  role: 'user' | 'bee';
  content: string;
  ts: number;
}

/**
 * Every message of a conversation from position `from`, in order, read
 * page by page (the engine reads at most a page at a time).
 */
export async function allMessages(c: OpenBeeContext, principal: Principal, sessionId: string, from = 0): Promise<Message[]> {
  const out: Message[] = [];
  for (let offset = from; out.length < HISTORY_LIMIT; offset += PAGE) {
    const page = await c.engine.conversations.messages(principal, sessionId, offset, PAGE);
    out.push(...page);
    if (page.length < PAGE) break;
  }
  return out;
}

/** `media_paths` (later clients) or `media_path` (the document); both absent is none. */
function mediaPaths(body: Record<string, unknown>): string[] {
  const many = body.media_paths;
  if (many !== undefined && many !== null) {
    if (!Array.isArray(many) || !many.every((p) => typeof p === 'string') || many.length > 20) {
      throw invalid('media_paths must be a list of at most 20 paths', { field: 'media_paths' });
    }
    return many as string[];
  }
  const one = optionalString(body, 'media_path');
  return one ? [one] : [];
}

/**
 * `POST .../messages` queues a run of the session's worker (202
 * `{"status":"queued"}`; a message sent while a reply is still coming waits
 * its turn, as the original's queue does) and `GET .../messages` lists the
 * chat: the user's messages and the bee's replies, oldest first.
 */
export function messageHandlers(c: OpenBeeContext): Record<string, Handler> {
  const { engine } = c;
  return {
    localMessageSend: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'id');
      const body = bodyObject(ctx);
      const content = body.content;
      if (typeof content !== 'string' || content.length === 0) throw invalid('content is required', { field: 'content' });
      const paths = mediaPaths(body);
      const conversation = await engine.conversations.get(principal, sessionId);
      const media = await resolveMedia(c, principal, sessionId, paths);
      // The original hands the worker each attachment as a `[文件] <path>` line before the text
      // (its web client sends `content: " "` when there is only an attachment).
      const text = [...media.lines, content.trim()].filter(Boolean).join('\n');
      if (!text) throw invalid('content is required', { field: 'content' });
      await engine.tasks.create(principal, {
        agentId: conversation.agentId,
        conversationId: conversation.id,
        input: { text, ...(media.images.length ? { images: media.images } : {}) },
        concurrency: routeOf(ctx).concurrency,
        meta: { dialect: 'openbee' },
      });
      return { status: 'queued' };
    }),
    localMessageList: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'id');
      const messages = await allMessages(c, principal, sessionId);
      // The next stream of this session starts after what this answer shows (see stream.ts).
      rememberSeen(ctx, sessionId, messages.at(-1)?.seq ?? -1);
      return messages.flatMap((m): ChatMessage[] => {
        if (m.role === 'user') return [{ role: 'user', content: beeText(m), ts: m.createdAt }];
        return isBeeReply(m) ? [{ role: 'bee', content: beeText(m), ts: m.createdAt }] : [];
      });
    }),
  };
}
