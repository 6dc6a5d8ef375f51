import type { Store } from '../store/store.js';
import {
  CONVERSATIONS_EXPIRING,
  conversationKey,
  conversationList,
  conversationLists,
  expiringMember,
  filedOf,
  type ConversationRef,
  type FiledConversation,
  type Owner,
} from './conversation-keys.js';
import { CONVERSATION, listConversations, type ConversationQuery, type Page } from './conversation-listings.js';
import { MESSAGE, hasMessages, messagesOf, purgeMessages } from './conversation-messages.js';
import type { Directory } from './directory.js';
import { checkId, checkTitle, titleFrom } from './conversation-fields.js';
import { EngineError, conflict, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Conversation, Message, Principal, Task } from './records.js';
import { updateRecord } from './record-update.js';
import { TASK } from './task-finish.js';
import { taskList } from './task-indexes.js';
import { allMembers } from './users.js';

const refOf = (p: Owner, conversationId: string): ConversationRef => ({ tenant: p.tenant, userId: p.userId, conversationId });
const recordKey = (p: Owner, conversationId: string) => conversationKey(refOf(p, conversationId));
/** Where each appended message is announced (its position), for streams that follow a conversation. */
const messageSignal = (ref: ConversationRef) => `conversation-messages:${conversationKey(ref)}`;
const filed = (c: Conversation): FiledConversation => ({ tenant: c.tenant, userId: c.userId, conversationId: c.id, agentId: c.agentId });
/** The owner as the services a conversation's removal is handed to see it: they scope by tenant and user alone. */
const systemOwner = (o: Owner): Principal => ({ tenant: o.tenant, userId: o.userId, username: o.userId, admin: false, via: 'system' });

/** A conversation found unexpired past its filed deadline (changed without the new one reaching the listing) is looked at again this much later. */
const RECHECK_MS = 60_000;


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
 *
 * Retention: the record expires `retentionSeconds` after its last change (a
 * message, a rename, a meta change), as the store's own expiry, so it reads
 * as gone exactly then on every store. Its messages, listings and tasks have
 * no expiry of their own: `sweepExpired` (run by the reaper) clears them as
 * a delete would, so listing totals shrink with it.
 */
export class Conversations {
  private readonly dependents: ConversationDependent[] = [];

  /** `retentionSeconds`: how long a conversation nobody changes is kept; 0 = until deleted. */
  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly retentionSeconds = 0,
  ) {
    // A removed user's conversations go with them, and with those their messages and tasks.
    directory.onUserRemoved((tenant, userId) => this.removeAllOf(tenant, userId));
  }

  /** What every write of a record passes: an expiry restarted by each change (none without retention). */
  private get keep(): { ttlSeconds?: number } {
    return this.retentionSeconds > 0 ? { ttlSeconds: this.retentionSeconds } : {};
  }

  /** Files the conversation for the sweep at the end of its retention, by the clock the store's expiry runs on. */
  private async fileExpiry(c: FiledConversation): Promise<void> {
    const member = expiringMember(c);
    if (this.retentionSeconds > 0) await this.store.indexAdd(CONVERSATIONS_EXPIRING, member, Date.now() + this.retentionSeconds * 1000);
    else await this.store.indexRemove(CONVERSATIONS_EXPIRING, member);
  }

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
    const exists = () => conflict(`conversation ${conversation.id} already exists`);
    if (await this.find(principal, conversation.id)) throw exists();
    const ref = refOf(principal, conversation.id);
    // Messages under a free id are what an earlier conversation of that id left: one that expired
    // and waits for the sweep, or a delete cut short. They go first, or the new one would show them.
    if (await hasMessages(this.store, ref)) {
      await this.sweepExpired();
      await this.clear(principal, ref);
    }
    if (!(await this.store.put(CONVERSATION, conversationKey(ref), conversation, { ifVersion: 0, ...this.keep }))) throw exists();
    for (const { list, sort } of conversationLists(principal, conversation.agentId)) {
      await this.store.indexAdd(list, conversation.id, sort === 'created' ? conversation.createdAt : conversation.updatedAt);
    }
    await this.fileExpiry(filed(conversation));
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
   * A change restarts its retention.
   */
  async update(principal: Principal, id: string, change: (c: Conversation) => Conversation | undefined): Promise<Conversation> {
    const result = await updateRecord<Conversation>(
      this.store,
      CONVERSATION,
      recordKey(principal, id),
      (current) => {
        const next = change(current);
        if (!next) return undefined;
        const { tenant, userId, agentId, createdAt } = current;
        return { ...next, id: current.id, tenant, userId, agentId, createdAt };
      },
      this.keep,
    );
    if (!result) throw notFound('conversation', id);
    if (result.changed) await this.fileExpiry(filed(result.value));
    return result.value;
  }

  /**
   * Sets the title (trimmed, not empty). Renaming is not activity for the
   * order by last activity, which stays; it does restart the retention.
   */
  async rename(principal: Principal, id: string, title: string): Promise<Conversation> {
    const checked = checkTitle(title);
    return this.update(principal, id, (c) => (c.title === checked ? undefined : { ...c, title: checked }));
  }

  /** Deletes the conversation with its messages and whatever else belongs to it (its tasks: see `onDelete`). */
  async delete(principal: Principal, id: string): Promise<void> {
    const conversation = await this.get(principal, id);
    await this.store.delete(CONVERSATION, recordKey(principal, id));
    await this.clear(principal, filed(conversation));
  }

  /**
   * What a conversation whose record is gone leaves: its listings (only the
   * owner's all-conversations ones when its agent is not known), tasks and
   * messages. Clearing twice is harmless.
   */
  private async clear(owner: Principal, c: ConversationRef & { agentId?: string }): Promise<void> {
    for (const { list } of conversationLists(c, c.agentId)) await this.store.indexRemove(list, c.conversationId);
    // After the record: a task stopped now cannot add a message to a conversation that is gone.
    for (const dependent of this.dependents) await dependent.removeConversation(owner, c.conversationId);
    await purgeMessages(this.store, c);
    // Last, so that a sweep finds a clear cut short (a crash) and finishes it.
    if (c.agentId !== undefined) await this.store.indexRemove(CONVERSATIONS_EXPIRING, expiringMember({ ...c, agentId: c.agentId }));
  }

  /**
   * Clears the conversations whose records expired (their retention passed
   * with no change), as a delete would. Returns how many.
   */
  async sweepExpired(now = Date.now(), limit = 500): Promise<number> {
    let cleared = 0;
    for (const member of await this.store.indexUpTo(CONVERSATIONS_EXPIRING, now, limit)) {
      const c = filedOf(member);
      if (!c) await this.store.indexRemove(CONVERSATIONS_EXPIRING, member);
      else if (await this.store.get(CONVERSATION, conversationKey(c))) await this.store.indexAdd(CONVERSATIONS_EXPIRING, member, now + RECHECK_MS);
      else {
        await this.clear(systemOwner(c), c);
        cleared++;
      }
    }
    return cleared;
  }

  /** Removes every conversation of a removed user, with their messages and tasks. */
  private async removeAllOf(tenant: string, userId: string): Promise<void> {
    const owner = systemOwner({ tenant, userId });
    // Expired ones waiting for the sweep are cleared by it, by-agent listings included.
    await this.sweepExpired();
    for (const id of await allMembers(this.store, conversationList(owner, 'updated'))) {
      const conversation = await this.find(owner, id);
      if (conversation) await this.store.delete(CONVERSATION, recordKey(owner, id));
      await this.clear(owner, conversation ? filed(conversation) : refOf(owner, id));
    }
    // Tasks of a conversation no listing names any more (one cleared halfway) would still be counted.
    const left = new Set<string>();
    for (const taskId of await allMembers(this.store, taskList(owner))) {
      const task = (await this.store.get<Task>(TASK, taskId))?.value;
      if (task) left.add(task.conversationId);
    }
    for (const conversationId of left) for (const dependent of this.dependents) await dependent.removeConversation(owner, conversationId);
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
    const lists = conversationLists(principal, updated.agentId).filter(({ sort }) => sort === 'updated');
    for (const { list } of lists) await this.store.indexAdd(list, conversationId, updated.updatedAt);
    // Expired or deleted meanwhile, and perhaps cleared already: what was filed here would outlive it.
    if (!(await this.find(principal, conversationId))) {
      await this.store.delete(MESSAGE, message.id);
      await this.store.indexRemove(messagesOf(ref), message.id);
      for (const { list } of lists) await this.store.indexRemove(list, conversationId);
      throw notFound('conversation', conversationId);
    }
    // The message is stored: a lost announcement only delays followers until they read again.
    await this.store.publish(messageSignal(ref), String(seq)).catch(() => undefined);
    return message;
  }

  /**
   * Calls `onMessage` with the position of every message appended to the
   * conversation from now on, by any instance (the caller must have read
   * access; check with `get` first). Returns a function that stops it.
   */
  watch(principal: Principal, conversationId: string, onMessage: (seq: number) => void): () => void {
    return this.store.listen(messageSignal(refOf(principal, conversationId)), (message) => onMessage(Number(message)));
  }

  /**
   * Removes the messages from position `keep` on (what a rerun or an edit
   * replaces). Meant for a conversation no run is writing to (the rerun's own
   * run does it when it starts, holding the conversation's slot): a message a
   * run appends meanwhile could land after the cut and stay.
   */
  async truncate(principal: Principal, conversationId: string, keep: number): Promise<void> {
    const ref = refOf(principal, conversationId);
    const { members } = await this.store.indexRange(messagesOf(ref), { offset: keep, limit: 100_000 });
    for (const messageId of members) {
      await this.store.delete(MESSAGE, messageId);
      await this.store.indexRemove(messagesOf(ref), messageId);
    }
    await this.update(principal, conversationId, (c) => (c.messageCount === keep ? undefined : { ...c, messageCount: keep }));
  }

  /** The conversation's last user message, if it has one. */
  async lastUserMessage(principal: Principal, conversationId: string): Promise<Message | undefined> {
    const conversation = await this.get(principal, conversationId);
    const PAGE = 100;
    for (let end = conversation.messageCount; end > 0; end -= PAGE) {
      const from = Math.max(0, end - PAGE);
      const page = await this.messages(principal, conversationId, from, end - from);
      const found = page.findLast((m) => m.role === 'user');
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Drops every message after the last user message; with `content`, that
   * message says this instead (its images stay). Returns it (`undefined`: no user message).
   */
  async rewindToLastUser(principal: Principal, conversationId: string, content?: string): Promise<Message | undefined> {
    const last = await this.lastUserMessage(principal, conversationId);
    if (!last) return undefined;
    await this.truncate(principal, conversationId, last.seq + 1);
    if (content === undefined) return last;
    const images = typeof last.content === 'string' ? [] : last.content.filter((p) => p.type !== 'text');
    const edited: Message = { ...last, content: images.length ? [{ type: 'text', text: content }, ...images] : content };
    await this.store.put(MESSAGE, last.id, edited);
    await this.update(principal, conversationId, (c) => ({ ...c, updatedAt: Date.now() }));
    return edited;
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
