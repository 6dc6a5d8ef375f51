import { messageText } from '../../engine/message-text.js';
import type { TaskInput } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import { sageBody } from './auth-body.js';
import type { SageContext } from './context.js';
import { interruptSession } from './conversation-sessions.js';
import { sageError } from './i18n.js';
import { readRunSettings, stripControlTags, userText } from './stream-request.js';
import { assertStreamRoom, startRun, streamTaskLines, type RunSettings } from './stream-run.js';
import { sageStreamViews } from './stream-view.js';

const NO_USER_MESSAGE = { 'zh-CN': '会话中没有可重新运行的用户消息', en: 'The conversation has no user message to run again' };
const EMPTY_CONTENT = { 'zh-CN': 'content 不能为空', en: 'content must not be empty' };

/**
 * What the chat page does to the end of a conversation: run the last user
 * message again (`rerun-stream`, a new run streamed like web-stream, which
 * interrupts one still going; with `guidance_content` it answers that as a
 * new user message instead), and change that message first
 * (`edit-last-user-message`, which drops the reply it had).
 */
export function conversationEditHandlers(c: SageContext): Record<string, Handler> {
  const views = sageStreamViews(c.views).chat;
  return {
    conversationRerunStream: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const body = sageBody(ctx);
      const settings = { ...readRunSettings(body), sessionId };
      await c.engine.conversations.get(principal, sessionId);
      assertStreamRoom(c, principal);
      const guidance = typeof body.guidance_content === 'string' ? body.guidance_content.trim() : '';
      let run: RunSettings = settings;
      let input: TaskInput;
      if (guidance) {
        const asked = userText(guidance, settings);
        run = asked;
        input = { text: asked.text };
      } else {
        // Read now for a clear refusal; the run itself cuts what followed it when it starts.
        const last = await c.engine.conversations.lastUserMessage(principal, sessionId);
        if (!last) throw sageError('invalid_argument', NO_USER_MESSAGE);
        input = { text: messageText(last.content), rerun: true };
      }
      const task = await startRun(ctx, c, principal, run, input, { agentRequired: false });
      return streamTaskLines(ctx, c, views, principal, task, 0);
    }),

    conversationEditLastUserMessage: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const content = sageBody(ctx).content;
      if (typeof content !== 'string') throw sageError('invalid_argument', EMPTY_CONTENT, { field: 'content' });
      const { text } = stripControlTags(content);
      if (!text) throw sageError('invalid_argument', EMPTY_CONTENT, { field: 'content' });
      await c.engine.conversations.get(principal, sessionId);
      // A reply still going would land after the edit; the UI stops it first, this makes sure.
      await interruptSession(c.engine, principal, sessionId, undefined);
      const edited = await c.engine.conversations.rewindToLastUser(principal, sessionId, text);
      if (!edited) throw sageError('invalid_argument', NO_USER_MESSAGE);
      return { session_id: sessionId, message_id: edited.id, content: text };
    }),
  };
}
