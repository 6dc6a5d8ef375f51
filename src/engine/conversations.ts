import type { Store } from '../store/store.js';
import type { Directory } from './directory.js';
import { userKey } from './directory.js';
import { conflict, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Conversation, Message, Principal } from './records.js';
import { updateRecord } from './record-update.js';

const C = { conversation: 'conversation', message: 'message' } as const;
const conversationsOf = (p: Principal) => `conversations:${userKey(p.tenant, p.userId)}`;
const messagesOf = (conversationId: string) => `messages:${conversationId}`;

export interface NewConversation {
  /** A dialect may choose the id's shape (Agents v1 `conv_YYYYMMDD_…`); random otherwise. */
  id?: string;
  agentId: string;
  title?: string;
  meta?: Record<string, unknown>;
}

export type NewMessage = Omit<Message, 'id' | 'conversationId' | 'createdAt' | 'seq'>;

/** Conversations and their messages, each visible to its owner only. */
export class Conversations {
  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
  ) {}

  async create(principal: Principal, input: NewConversation, now = Date.now()): Promise<Conversation> {
    await this.directory.getAgent(principal, input.agentId);
    const conversation: Conversation = {
      id: input.id ?? newId('conv'),
      tenant: principal.tenant,
      userId: principal.userId,
      agentId: input.agentId,
      title: input.title ?? '',
      messageCount: 0,
      createdAt: now,
      updatedAt: now,
      meta: input.meta ?? {},
    };
    if (!(await this.store.put(C.conversation, conversation.id, conversation, { ifVersion: 0 }))) {
      throw conflict(`conversation ${conversation.id} already exists`);
    }
    await this.store.indexAdd(conversationsOf(principal), conversation.id, now);
    return conversation;
  }

  /** The principal's conversation; anyone else's is "not found". */
  async get(principal: Principal, id: string): Promise<Conversation> {
    const conversation = (await this.store.get<Conversation>(C.conversation, id))?.value;
    if (!conversation || conversation.tenant !== principal.tenant || conversation.userId !== principal.userId) {
      throw notFound('conversation', id);
    }
    return conversation;
  }

  /** Newest activity first. */
  async list(principal: Principal, page: { offset: number; limit: number }): Promise<{ items: Conversation[]; total: number }> {
    const { members, total } = await this.store.indexRange(conversationsOf(principal), { ...page, reverse: true });
    const items: Conversation[] = [];
    for (const id of members) {
      const conversation = (await this.store.get<Conversation>(C.conversation, id))?.value;
      if (conversation) items.push(conversation);
    }
    return { items, total };
  }

  async update(principal: Principal, id: string, change: (c: Conversation) => Conversation | undefined): Promise<Conversation> {
    await this.get(principal, id);
    const result = await updateRecord<Conversation>(this.store, C.conversation, id, change);
    if (!result) throw notFound('conversation', id);
    return result.value;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const conversation = await this.get(principal, id);
    const { members } = await this.store.indexRange(messagesOf(id), { offset: 0, limit: conversation.messageCount + 1000 });
    for (const messageId of members) await this.store.delete(C.message, messageId);
    await this.store.delete(C.conversation, id);
    await this.store.indexRemove(conversationsOf(principal), id);
  }

  /** Appends a message, giving it the next position in the conversation. */
  async addMessage(principal: Principal, conversationId: string, input: NewMessage, now = Date.now()): Promise<Message> {
    let seq = 0;
    const updated = await this.update(principal, conversationId, (c) => {
      seq = c.messageCount;
      return { ...c, messageCount: c.messageCount + 1, updatedAt: now, title: c.title || titleFrom(input) };
    });
    const message: Message = { ...input, id: newId('msg'), conversationId, createdAt: now, seq };
    await this.store.put(C.message, message.id, message);
    await this.store.indexAdd(messagesOf(conversationId), message.id, seq);
    await this.store.indexAdd(conversationsOf(principal), conversationId, updated.updatedAt);
    return message;
  }

  /** Messages in order, from position `from`. */
  async messages(principal: Principal, conversationId: string, from = 0, limit = 1000): Promise<Message[]> {
    await this.get(principal, conversationId);
    const { members } = await this.store.indexRange(messagesOf(conversationId), { offset: from, limit });
    const out: Message[] = [];
    for (const id of members) {
      const message = (await this.store.get<Message>(C.message, id))?.value;
      if (message) out.push(message);
    }
    return out;
  }
}

function titleFrom(message: NewMessage): string {
  if (message.role !== 'user') return '';
  const text = typeof message.content === 'string' ? message.content : message.content.map((p) => (p.type === 'text' ? p.text : '')).join(' ');
  return text.trim().slice(0, 60);
}
