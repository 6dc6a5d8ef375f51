import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import { EngineError } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { SseWriter, resumePosition } from '../../stream/sse.js';
import { beeText, isBeeReply } from './chat-messages.js';
import type { OpenBeeContext } from './context.js';
import { CatchUp, ReplyFollower } from './stream-follower.js';
import { hasSeen, readSeen, seenCookie, sessionPath } from './stream-seen.js';

/**
 * `GET /api/local/sessions/:id/stream`: the bee's replies in a local session
 * (a conversation), as SSE frames without event names, one per reply and each
 * a COMPLETE message (the OpenBee web client turns every frame into a new
 * message):
 *
 *     id: <the message's position in the conversation>
 *     data: {"content":"…","created_at":<ms>,"id":"<message id>"}
 *
 * A bee reply is an assistant message with text; user and tool messages and
 * tool-call-only turns are not sent. Idle streams get `: ping` heartbeats and
 * stay open, with or without a run going, until the client leaves or the
 * gateway shuts down; a session deleted meanwhile ends its stream.
 *
 * Where a stream starts:
 * - `Last-Event-ID: N` (an EventSource reconnecting by itself): every reply
 *   after position N, then live.
 * - else the `ob_seen` cookie, when it names a position the session has: every
 *   reply after it, then live. The web client never sends `Last-Event-ID`: on
 *   an error it closes its EventSource, refetches
 *   `GET /local/sessions/:id/messages` and opens a new one 2 s later, so a
 *   reply that finished between that GET and the new stream would be lost, and
 *   one before it must not come twice. That GET therefore records the last
 *   position it showed with `rememberSeen` (a cookie scoped by `Path` to the
 *   session, 60 s, HttpOnly, SameSite=Lax), which the browser sends with the
 *   stream request; the stream clears it in its own response, so a later
 *   stream (a reload, another reconnect without a fresh GET) does not replay.
 * - else live from now: replies appended after the stream opened.
 * A position beyond the session's last is not honoured (live from now).
 *
 * Live delivery follows the engine's announcements of appended messages
 * (through the store, so a reply produced by another instance arrives too):
 * the stream listens before it first reads, so nothing appended in between
 * is missed, and reads one at a time (stream-follower.ts), so nothing is sent
 * twice or out of order. Every heartbeat interval each stream reads once more
 * anyway, which finds what a lost announcement would have hidden, and a
 * deleted session.
 */
export function streamHandlers(c: OpenBeeContext): Record<string, Handler> {
  const catchUp = new CatchUp(c.config.server.heartbeat_ms);
  return {
    localSessionStream: asUser((ctx, principal) => openReplyStream(c, catchUp, ctx, principal, pathParam(ctx, 'id'))),
  };
}

/**
 * Records, on the response of `GET /local/sessions/:id/messages`, the
 * position (`seq`) of the last message that answer was built from: the last
 * one it read, whether it shows it or not (a tool message); -1 when the
 * session had none. The session's next stream starts right after it (see
 * `streamHandlers`). Does nothing when the request is not under the
 * session's path (there is no path to scope the cookie to).
 */
export function rememberSeen(ctx: Koa.Context, sessionId: string, lastSeq: number): void {
  const path = sessionPath(ctx, sessionId);
  if (!path || !Number.isSafeInteger(lastSeq) || lastSeq < -1) return;
  ctx.append('Set-Cookie', seenCookie(ctx, path, String(lastSeq)));
}

async function openReplyStream(c: OpenBeeContext, catchUp: CatchUp, ctx: Koa.Context, principal: Principal, sessionId: string): Promise<undefined> {
  const { conversations } = c.engine;
  let follower: ReplyFollower | undefined;
  // Listening before the first read: whatever is appended after that read is announced here.
  const unwatch = conversations.watch(principal, sessionId, (seq) => follower?.poke(seq));
  try {
    // Before the stream opens, so an unknown (or another user's) session is a plain 404.
    const { messageCount } = await conversations.get(principal, sessionId);
    const start = startOf(ctx, messageCount);
    const path = sessionPath(ctx);
    const headers = path && hasSeen(ctx) ? { 'Set-Cookie': seenCookie(ctx, path, '', 0) } : undefined;
    const sse = new SseWriter(ctx, c.streams, { owner: userKey(principal.tenant, principal.userId), headers });
    const following = new ReplyFollower(
      {
        read: (from, limit) => conversations.messages(principal, sessionId, from, limit),
        send: async (message) => {
          // Keys in sorted order, as the document's server writes them.
          if (isBeeReply(message)) await sse.send({ id: message.seq, data: { content: beeText(message), created_at: message.createdAt, id: message.id } });
        },
        fail: (error) => {
          if (!(error instanceof EngineError && error.code === 'not_found')) {
            c.logger.warn({ err: error, sessionId }, 'openbee reply stream: cannot read the session; ending the stream');
          }
          void sse.end();
        },
      },
      start,
    );
    follower = following;
    const leave = catchUp.add(following);
    sse.writer.onClose(() => {
      following.stop();
      unwatch();
      leave();
    });
    // The first read: the replay (if any), and whatever was announced before `follower` was set.
    following.poke();
  } catch (err) {
    unwatch();
    throw err;
  }
  return undefined;
}

/** The first position the stream sends (see `streamHandlers`); `messageCount` is the session's next position. */
function startOf(ctx: Koa.Context, messageCount: number): number {
  const resume = resumePosition(ctx);
  if (resume !== undefined) return Math.min(resume, messageCount);
  const seen = readSeen(ctx);
  return seen !== undefined && seen < messageCount ? seen + 1 : messageCount;
}
