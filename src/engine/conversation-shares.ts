import type { Store } from '../store/store.js';
import type { ConversationDependent, Conversations } from './conversations.js';
import { EngineError, conflict, notFound } from './errors.js';
import { scopedKey } from './keys.js';
import type { Conversation, Principal } from './records.js';

/** Which user shares the conversation of this id in a tenant (ids are only unique per user). */
const SHARE = 'conversation-share';
const shareKey = (tenant: string, conversationId: string) => scopedKey(tenant, conversationId);

interface ShareRecord {
  userId: string;
}

/** The owner as a share reader sees them: enough to read the conversation, nothing to act with. */
const readerOf = (tenant: string, userId: string): Principal => ({ tenant, userId, username: userId, admin: false, via: 'system' });

/**
 * Conversations their owner chose to share: readable by anyone who has the
 * link (tenant + id), without a login, until the owner takes the share back
 * or deletes the conversation. The mark is on the conversation itself
 * (`meta.shared`); an index per (tenant, id) finds its owner. An index entry
 * whose conversation is gone or no longer shared reads as not shared, so a
 * stale one never shows anything, and another user may then share that id.
 */
export class ConversationShares implements ConversationDependent {
  constructor(
    private readonly store: Store,
    private readonly conversations: Conversations,
  ) {
    conversations.onDelete(this);
  }

  /** Shares the principal's conversation, or takes the share back. */
  async set(principal: Principal, conversationId: string, shared: boolean): Promise<Conversation> {
    await this.conversations.get(principal, conversationId);
    const key = shareKey(principal.tenant, conversationId);
    if (shared) {
      const holder = (await this.store.get<ShareRecord>(SHARE, key))?.value.userId;
      if (holder !== undefined && holder !== principal.userId && (await this.liveShare(principal.tenant, holder, conversationId))) {
        throw conflict(`another conversation is already shared under the id ${conversationId}`);
      }
      await this.store.put<ShareRecord>(SHARE, key, { userId: principal.userId });
    }
    const updated = await this.conversations.update(principal, conversationId, (c) =>
      Boolean(c.meta.shared) === shared ? undefined : { ...c, meta: { ...c.meta, shared } },
    );
    if (!shared) await this.dropIfOwn(principal, conversationId);
    return updated;
  }

  /** The shared conversation of this id in the tenant, with the owner to read it as; "not found" when none is shared. */
  async find(tenant: string, conversationId: string): Promise<{ conversation: Conversation; owner: Principal }> {
    const holder = (await this.store.get<ShareRecord>(SHARE, shareKey(tenant, conversationId)))?.value.userId;
    const conversation = holder === undefined ? undefined : await this.liveShare(tenant, holder, conversationId);
    if (!conversation || holder === undefined) throw notFound('shared conversation', conversationId);
    return { conversation, owner: readerOf(tenant, holder) };
  }

  private async liveShare(tenant: string, userId: string, conversationId: string): Promise<Conversation | undefined> {
    const conversation = await this.conversations.get(readerOf(tenant, userId), conversationId).catch((err: unknown) => {
      if (err instanceof EngineError && err.code === 'not_found') return undefined;
      throw err;
    });
    return conversation?.meta.shared === true ? conversation : undefined;
  }

  private async dropIfOwn(owner: Principal, conversationId: string): Promise<void> {
    const key = shareKey(owner.tenant, conversationId);
    if ((await this.store.get<ShareRecord>(SHARE, key))?.value.userId === owner.userId) await this.store.delete(SHARE, key);
  }

  async removeConversation(owner: Principal, conversationId: string): Promise<void> {
    await this.dropIfOwn(owner, conversationId);
  }
}
