import type { Store } from '../store/store.js';
import { conversationKey, conversationLists, type ConversationRef } from './conversation-keys.js';
import { CONVERSATION, listConversations, type ConversationQuery, type Page } from './conversation-listings.js';
import type { Directory } from './directory.js';
import { EngineError, conflict, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Conversation, Message, Principal } from './records.js';
import { updateRecord } from './record-update.js';

const MESSAGE = 'message';
const messagesOf = (ref: ConversationRef) => `messages:${conversationKey(ref)}`;
const refOf = (p: Principal, conversationId: string): ConversationRef => ({ tenant: p.tenant, userId: p.userId, conversationId });
const recordKey = (p: Principal, conversationId: string) => conversationKey(refOf(p, conversationId));

/** Longest client-chosen conversation id and title. */
export const MAX_ID_LENGTH = 256;
export const MAX_TITLE_LENGTH = 200;

export interface NewConversation {
  /** A client- or dialect-chosen id (Agents v1 `conv_YYYYMMDD_…`, Sage `session_<ms>`); random otherwise. */
  id?: string;
  agentId: string;
  title?: string;
  meta?: Record<string, unknown>;
}

export type NewMessage = Omit<Message, 'id' | 'conversationId' | 'createdAt' | 'seq'>;

/** What else belongs to a conversation and goes when it is deleted (its tasks; files, once they are tied to one). */
export interface ConversationDependent {
  /** Called after the conversation's record is gone, so nothing new can join it meanwhile. */
  removeConversation(owner: Principal, conversationId: string): Promise<void>;
}

/**
 * Conversations and their messages, each visible to its owner only. A
 * conversation is stored under its id scoped to its owner (./conversation-keys.ts),
 * so ids need only be unique per user: another user's conversation of the
 * same id is a different record, never reached, taken over or revealed.
 */
export class Conversations {
  private readonly dependents: ConversationDependent[] = [];

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
  ) {}

  /** Registers what must be removed with a conversation. */
  onDelete(dependent: ConversationDependent): void {
    this.dependents.push(dependent);
  }

  /** Creates a conversation; an id the principal already uses is a conflict. */
  async create(principal: Principal, input: NewConversation, now = Date.now()): Promise<Conversation> {
    await this.directory.getAgent(principal, input.agentId);
    if (input.id !== undefined) checkId(input.id);
    const conversation: Conversation = {
      id: input.id ?? newId('conv'),
      tenant: principal.tenant,
      userId: principal.userId,
      agentId: input.agentId,
      title: input.title?.trim() ? checkTitle(input.title) : '',
      messageCount: 0,
      createdAt: now,
      updatedAt: now,
      meta: input.meta ?? {},
    };
    if (!(await this.store.put(CONVERSATION, recordKey(principal, conversation.id), conversation, { ifVersion: 0 }))) {
      throw conflict(`conversation ${conversation.id} already exists`);
    }
    for (const { list, sort } of conversationLists(principal, conversation.agentId)) {
      await this.store.indexAdd(list, conversation.id, sort === 'created' ? conversation.createdAt : conversation.updatedAt);
    }
    return conversation;
  }

  /**
   * The principal's conversation of this id, created (with `input`) when they
   * have none: a client that makes its own ids starts a conversation with its
   * first message. An existing one keeps its agent, title and meta.
   */
  async getOrCreate(principal: Principal, input: NewConversation & { id: string }, now = Date.now()): Promise<{ conversation: Conversation; created: boolean }> {
    const existing = await this.find(principal, input.id);
    if (existing) return { conversation: existing, created: false };
    try {
      return { conversation: await this.create(principal, input, now), created: true };
    } catch (err) {
      // Another request of the same user created it first: that one is the conversation.
      if (!(err instanceof EngineError && err.code === 'conflict')) throw err;
      return { conversation: await this.get(principal, input.id), created: false };
    }
  }

  /** The principal's conversation; one they do not have (whoever else has that id) is "not found". */
  async get(principal: Principal, id: string): Promise<Conversation> {
    const conversation = await this.find(principal, id);
    if (!conversation) throw notFound('conversation', id);
    return conversation;
  }

  private async find(principal: Principal, id: string): Promise<Conversation | undefined> {
    return (await this.store.get<Conversation>(CONVERSATION, recordKey(principal, id)))?.value;
  }

  /** A page of the principal's conversations (all, or one agent's), searched and sorted; `total` counts every match. */
  async list(principal: Principal, page: Page, query: ConversationQuery = {}): Promise<{ items: Conversation[]; total: number }> {
    return listConversations(this.store, principal, page, query);
  }

  /**
   * Changes a conversation. What it is filed under (id, owner, agent, creation
   * time) stays as it was, so its listings stay right whatever `change` returns.
   */
  async update(principal: Principal, id: string, change: (c: Conversation) => Conversation | undefined): Promise<Conversation> {
    const result = await updateRecord<Conversation>(this.store, CONVERSATION, recordKey(principal, id), (current) => {
      const next = change(current);
      if (!next) return undefined;
      const { tenant, userId, agentId, createdAt } = current;
      return { ...next, id: current.id, tenant, userId, agentId, createdAt };
    });
    if (!result) throw notFound('conversation', id);
    return result.value;
  }

  /** Sets the title (trimmed, not empty). Renaming is not activity: the order by last activity stays. */
  async rename(principal: Principal, id: string, title: string): Promise<Conversation> {
    const checked = checkTitle(title);
    return this.update(principal, id, (c) => (c.title === checked ? undefined : { ...c, title: checked }));
  }

  /** Deletes the conversation with its messages and whatever else belongs to it (its tasks: see `onDelete`). */
  async delete(principal: Principal, id: string): Promise<void> {
    const conversation = await this.get(principal, id);
    const ref = refOf(principal, id);
    await this.store.delete(CONVERSATION, conversationKey(ref));
    for (const { list } of conversationLists(principal, conversation.agentId)) await this.store.indexRemove(list, id);
    // After the record: a task stopped now cannot add a message to a conversation that is gone.
    for (const dependent of this.dependents) await dependent.removeConversation(principal, id);
    for (;;) {
      const { members } = await this.store.indexRange(messagesOf(ref), { offset: 0, limit: 500 });
      if (members.length === 0) break;
      for (const messageId of members) {
        await this.store.delete(MESSAGE, messageId);
        await this.store.indexRemove(messagesOf(ref), messageId);
      }
    }
  }

  /** Appends a message, giving it the next position in the conversation. */
  async addMessage(principal: Principal, conversationId: string, input: NewMessage, now = Date.now()): Promise<Message> {
    let seq = 0;
    const updated = await this.update(principal, conversationId, (c) => {
      seq = c.messageCount;
      return { ...c, messageCount: c.messageCount + 1, updatedAt: now, title: c.title || titleFrom(input) };
    });
    const ref = refOf(principal, conversationId);
    const message: Message = { ...input, id: newId('msg'), conversationId, createdAt: now, seq };
    await this.store.put(MESSAGE, message.id, message);
    await this.store.indexAdd(messagesOf(ref), message.id, seq);
    for (const { list, sort } of conversationLists(principal, updated.agentId)) {
      if (sort === 'updated') await this.store.indexAdd(list, conversationId, updated.updatedAt);
    }
    return message;
  }

  /** Messages in order, from position `from`. */
  async messages(principal: Principal, conversationId: string, from = 0, limit = 1000): Promise<Message[]> {
    await this.get(principal, conversationId);
    const { members } = await this.store.indexRange(messagesOf(refOf(principal, conversationId)), { offset: from, limit });
    const out: Message[] = [];
    for (const id of members) {
      const message = (await this.store.get<Message>(MESSAGE, id))?.value;
      if (message) out.push(message);
    }
    return out;
  }
}

function checkId(id: string): void {
  // Control characters would end up in logs and keys; the length bounds every key built from the id.
  if (id.length === 0 || id.length > MAX_ID_LENGTH || /\p{Cc}/u.test(id)) {
    throw invalid(`a conversation id is 1 to ${MAX_ID_LENGTH} characters without control characters`, { field: 'conversation_id' });
  }
}

function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TITLE_LENGTH || /\p{Cc}/u.test(trimmed)) {
    throw invalid(`a title is 1 to ${MAX_TITLE_LENGTH} characters without control characters`, { field: 'title' });
  }
  return trimmed;
}

function titleFrom(message: NewMessage): string {
  if (message.role !== 'user') return '';
  const text = typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join(' ');
  return text.trim().slice(0, 60);
}
