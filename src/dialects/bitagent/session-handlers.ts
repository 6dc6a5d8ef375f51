import { queryParam } from '../../http/request-params.js';
import { EngineError, forbidden, invalid, notFound } from '../../engine/errors.js';
import type { Agent, Conversation, FileRef, Principal } from '../../engine/records.js';
import type { StoredFile } from '../../engine/workspace.js';
import { routeOf, type Handler } from '../../http/dialect.js';
import { userOf } from '../../http/credentials.js';
import { FILE_AREA, type BitAgentContext } from './context.js';
import { TEXT_INLINE_BYTES, isTextLike, readUpload } from './files.js';
import { objectBody, optionalString, optionalStringList, requiredText } from './request-fields.js';
import { spaceView } from './space-view.js';
import { replayTask, streamTask } from './task-stream.js';

/** Images up to this size are sent to the model inline (as `data:` URLs). */
const IMAGE_INLINE_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = 100_000;

/** What this dialect keeps on a session (`conversation.meta.bitagent`). */
interface SessionMeta {
  client_id: string;
  /** Every file id sent in the session, in order, for its space view. */
  files: string[];
}

function sessionMetaOf(conversation: Conversation): SessionMeta | undefined {
  const meta = conversation.meta.bitagent;
  return typeof meta === 'object' && meta !== null ? (meta as SessionMeta) : undefined;
}

/** Sessions: conversations with the agent the config names for them. */
export function sessionHandlers(c: BitAgentContext): Record<string, Handler> {
  return {
    sessionCreate: async (ctx, caller) => {
      const principal = userOf(caller);
      const clientId = requiredText(objectBody(ctx), 'client_id');
      const agent = await sessionAgent(c, principal);
      const meta: SessionMeta = { client_id: clientId, files: [] };
      const conversation = await c.engine.conversations.create(principal, { agentId: agent.id, meta: { bitagent: meta } });
      return conversation.id;
    },

    /** One turn of the session, streamed like a task (`X-Task-Id` names the task for a later resume). */
    sessionChat: async (ctx, caller) => {
      const principal = userOf(caller);
      const body = objectBody(ctx);
      const sessionId = requiredText(body, 'session_id', 1, 256);
      const clientId = requiredText(body, 'client_id');
      const text = optionalString(body, 'text', MAX_TEXT)?.trim() ?? '';
      const fileIds = optionalStringList(body, 'files', 20) ?? [];
      if (!text && fileIds.length === 0) throw invalid('text or files is required', { field: 'text' });

      const conversation = await c.engine.conversations.get(principal, sessionId);
      const meta = sessionMetaOf(conversation);
      if (meta && meta.client_id !== clientId) throw forbidden('the session belongs to another client_id');
      const files: StoredFile[] = [];
      for (const id of fileIds) files.push(await c.engine.workspace.byId(principal, id));
      const input = await chatInput(c, principal, text, files);
      const task = await c.engine.tasks.create(principal, {
        agentId: conversation.agentId,
        conversationId: conversation.id,
        input,
        concurrency: routeOf(ctx).concurrency,
      });
      if (files.length) {
        await c.engine.conversations.update(principal, conversation.id, (conv) => {
          const current = sessionMetaOf(conv) ?? { client_id: clientId, files: [] };
          const known = new Set(current.files);
          const added = fileIds.filter((id) => !known.has(id));
          return { ...conv, meta: { ...conv.meta, bitagent: { ...current, files: [...current.files, ...added] } } };
        });
      }
      return streamTask(ctx, c, principal, task.id, { 'X-Task-Id': task.id, 'Access-Control-Expose-Headers': 'X-Task-Id' });
    },

    sessionSpaceView: async (ctx, caller) => {
      const principal = userOf(caller);
      const sessionId = queryParam(ctx, 'session_id')?.trim();
      if (!sessionId) throw invalid('session_id is required', { field: 'session_id' });
      const conversation = await c.engine.conversations.get(principal, sessionId);
      const taskIds: string[] = [];
      for (let from = 0; ; from += 1000) {
        const messages = await c.engine.conversations.messages(principal, conversation.id, from, 1000);
        for (const message of messages) if (message.taskId && !taskIds.includes(message.taskId)) taskIds.push(message.taskId);
        if (messages.length < 1000) break;
      }
      const trackers = [];
      for (const id of taskIds) {
        // A task past its retention is gone from the view; the rest of the session still shows.
        const replayed = await replayTask(c, principal, id).catch((err: unknown) => {
          if (err instanceof EngineError && err.code === 'not_found') return undefined;
          throw err;
        });
        if (replayed) trackers.push(replayed.tracker);
      }
      const uploads: StoredFile[] = [];
      for (const id of sessionMetaOf(conversation)?.files ?? []) {
        const file = await c.engine.workspace.byId(principal, id).catch(() => undefined);
        if (file) uploads.push(file);
      }
      return spaceView(ctx, c, principal, trackers, uploads);
    },
  };
}

/** The configured session agent when the tenant has it, else the tenant's first agent. */
async function sessionAgent(c: BitAgentContext, principal: Principal): Promise<Agent> {
  const configured = c.options.session_agent;
  if (configured) {
    const agent = await c.engine.directory.getAgent(principal, configured).catch(() => undefined);
    if (agent) return agent;
  }
  const [first] = await c.engine.directory.allAgents(principal);
  if (!first) throw notFound('agent', configured ?? '(any)');
  return first;
}

/**
 * The chat turn for the model: the text, then each file: images by
 * reference (read when the model is called), small text files inline as
 * text, anything else named so the model knows it was given.
 */
async function chatInput(c: BitAgentContext, principal: Principal, text: string, files: StoredFile[]) {
  const lines = text ? [text] : [];
  const images: FileRef[] = [];
  for (const file of files) {
    const type = (file.contentType ?? '').toLowerCase();
    if (type.startsWith('image/') && file.size <= IMAGE_INLINE_BYTES) {
      images.push({ area: FILE_AREA, path: file.path, mediaType: type });
      lines.push(`[image: ${file.name}]`);
    } else if (isTextLike(file) && file.size <= TEXT_INLINE_BYTES) {
      const bytes = await readUpload(c, principal, file);
      lines.push(`[file: ${file.name}]\n${bytes.toString('utf8')}\n[end of ${file.name}]`);
    } else {
      lines.push(`[file: ${file.name}, ${file.size} bytes, ${file.contentType ?? 'unknown type'}]`);
    }
  }
  return { text: lines.join('\n\n'), ...(images.length ? { images } : {}) };
}
