import { scopedKey, userKey } from './keys.js';

/** An owner (tenant + user) as far as storage keys care. */
export interface Owner {
  tenant: string;
  userId: string;
}

/** A conversation as its owner's client knows it: the owner plus the id the client uses. */
export interface ConversationRef extends Owner {
  conversationId: string;
}


/**
 * The store key of a conversation (its record, messages, run slot and queue):
 * its id scoped to its owner, so two users or tenants may each have one under
 * the same client-chosen id and never reach, block or detect the other's.
 */
export const conversationKey = (ref: ConversationRef): string => scopedKey(ref.tenant, ref.userId, ref.conversationId);

export type TimeSort = 'updated' | 'created';

/**
 * A listing of an owner's conversations, all of them or one agent's, by last
 * activity or by creation. The all-of-them-by-activity name predates the
 * others and is kept so stored listings stay valid.
 */
export function conversationList(owner: Owner, sort: TimeSort, agentId?: string): string {
  if (agentId !== undefined) return `conversations-by-agent:${sort}:${scopedKey(owner.tenant, owner.userId, agentId)}`;
  return sort === 'updated' ? `conversations:${userKey(owner.tenant, owner.userId)}` : `conversations-by-created:${scopedKey(owner.tenant, owner.userId)}`;
}

/**
 * Every listing a conversation of `agentId` belongs to, with the time it is
 * ranked by there; without an agent (its record is gone), the owner's two
 * all-conversations listings.
 */
export function conversationLists(owner: Owner, agentId?: string): { list: string; sort: TimeSort }[] {
  return (['updated', 'created'] as const).flatMap((sort) => [
    { list: conversationList(owner, sort), sort },
    ...(agentId === undefined ? [] : [{ list: conversationList(owner, sort, agentId), sort }]),
  ]);
}

/** A conversation as its listings know it: enough to find every one of them, also once its record is gone. */
export interface FiledConversation extends ConversationRef {
  agentId: string;
}

/**
 * Conversations by the time their record expires (retention, refreshed by
 * every change): the sweep takes an expired one out of its listings then, so
 * totals count only conversations that can still be read.
 */
export const CONVERSATIONS_EXPIRING = 'conversations:expiring';

export const expiringMember = (c: FiledConversation): string => JSON.stringify([c.tenant, c.userId, c.conversationId, c.agentId]);

export function filedOf(member: string): FiledConversation | undefined {
  try {
    const parts = JSON.parse(member) as unknown[];
    if (Array.isArray(parts) && parts.length === 4 && parts.every((v) => typeof v === 'string')) {
      const [tenant, userId, conversationId, agentId] = parts as string[];
      return { tenant: tenant!, userId: userId!, conversationId: conversationId!, agentId: agentId! };
    }
  } catch {
    // Not one of ours: dropped by the caller.
  }
  return undefined;
}
