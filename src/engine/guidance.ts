import type { Store } from '../store/store.js';
import { conversationKey } from './conversation-keys.js';
import type { ConversationDependent, Conversations } from './conversations.js';
import { conflict, invalid, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Principal } from './records.js';

/** A user message sent while a run goes on, waiting for the run's next model turn. */
export interface Guidance {
  id: string;
  content: string;
  /** Kept with the message the run adds for it (e.g. which UI element sent it). */
  meta: Record<string, unknown>;
  createdAt: number;
}

interface Pending {
  items: Guidance[];
}

const GUIDANCE = 'guidance';
/** Most messages waiting in one conversation; a client past it is sending faster than any run reads. */
export const MAX_PENDING = 20;
export const MAX_GUIDANCE_LENGTH = 20_000;
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

function checkContent(content: unknown): string {
  if (typeof content !== 'string' || !content.trim()) throw invalid('content must be a non-empty string', { field: 'content' });
  if (content.length > MAX_GUIDANCE_LENGTH) throw invalid(`content is at most ${MAX_GUIDANCE_LENGTH} characters`, { field: 'content' });
  return content.trim();
}

/**
 * Guidance: messages a user sends into a running conversation without
 * stopping it. They wait here, per conversation (in the store, so whichever
 * instance runs the task reads them), until the run's next model turn takes
 * them all at once; until then they can be listed, edited and withdrawn.
 * Taking is one conditional write, so a message reaches exactly one turn.
 */
export class GuidanceQueue implements ConversationDependent {
  constructor(
    private readonly store: Store,
    private readonly conversations: Conversations,
  ) {
    conversations.onDelete(this);
  }

  private key(principal: Principal, conversationId: string): string {
    return conversationKey({ tenant: principal.tenant, userId: principal.userId, conversationId });
  }

  /** Read-modify-write of the conversation's queue (created empty when absent); `change` returns the new items, or none to leave it as it is. */
  private async change<T>(principal: Principal, conversationId: string, change: (items: Guidance[]) => { items?: Guidance[]; result: T }): Promise<T> {
    const key = this.key(principal, conversationId);
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.store.get<Pending>(GUIDANCE, key);
      const { items, result } = change(current?.value.items ?? []);
      if (!items) return result;
      // Emptied, the record stays (an empty queue) until its conversation goes: a delete could not be conditional.
      if (await this.store.put(GUIDANCE, key, { items }, { ifVersion: current?.version ?? 0 })) return result;
    }
    throw new Error(`too much contention on the guidance of ${conversationId}`);
  }

  /** Queues a message for the conversation's running task; a client-chosen id already waiting is a conflict. */
  async add(principal: Principal, conversationId: string, input: { id?: string; content: unknown; meta?: Record<string, unknown> }, now = Date.now()): Promise<Guidance> {
    await this.conversations.get(principal, conversationId);
    if (input.id !== undefined && !ID.test(input.id)) throw invalid('guidance_id is 1 to 128 letters, digits or ._:-', { field: 'guidance_id' });
    const guidance: Guidance = { id: input.id ?? newId('guide'), content: checkContent(input.content), meta: input.meta ?? {}, createdAt: now };
    return this.change(principal, conversationId, (items) => {
      if (items.some((g) => g.id === guidance.id)) throw conflict(`guidance ${guidance.id} is already waiting`);
      if (items.length >= MAX_PENDING) throw conflict(`${MAX_PENDING} messages are already waiting for this run`);
      return { items: [...items, guidance], result: guidance };
    });
  }

  async list(principal: Principal, conversationId: string): Promise<Guidance[]> {
    await this.conversations.get(principal, conversationId);
    return (await this.store.get<Pending>(GUIDANCE, this.key(principal, conversationId)))?.value.items ?? [];
  }

  /** Changes a waiting message; one already taken by the run (or never sent) is "not found". */
  async edit(principal: Principal, conversationId: string, id: string, content: unknown): Promise<Guidance> {
    await this.conversations.get(principal, conversationId);
    const text = checkContent(content);
    return this.change(principal, conversationId, (items) => {
      const found = items.find((g) => g.id === id);
      if (!found) throw notFound('guidance', id);
      const edited = { ...found, content: text };
      return { items: items.map((g) => (g.id === id ? edited : g)), result: edited };
    });
  }

  /** Withdraws a waiting message; one already taken (or never sent) is "not found". */
  async remove(principal: Principal, conversationId: string, id: string): Promise<void> {
    await this.conversations.get(principal, conversationId);
    await this.change(principal, conversationId, (items) => {
      if (!items.some((g) => g.id === id)) throw notFound('guidance', id);
      return { items: items.filter((g) => g.id !== id), result: undefined };
    });
  }

  /** Every waiting message, oldest first, now no longer waiting: what the run's next turn reads. */
  async take(owner: Principal, conversationId: string): Promise<Guidance[]> {
    return this.change(owner, conversationId, (items) => (items.length ? { items: [], result: items } : { result: [] }));
  }

  async removeConversation(owner: Principal, conversationId: string): Promise<void> {
    await this.store.delete(GUIDANCE, this.key(owner, conversationId));
  }
}
