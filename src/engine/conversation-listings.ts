import type { Store } from '../store/store.js';
import { conversationKey, conversationList, type Owner } from './conversation-keys.js';
import { compareMembers } from '../store/sorted-index.js';
import type { Conversation } from './records.js';

export const CONVERSATION = 'conversation';

export interface ConversationQuery {
  /** Only the conversations with this agent. */
  agentId?: string;
  /** Only titles containing this text, ignoring case. */
  search?: string;
  /** `updated` (last activity, the default), `created` or `title`. */
  sort?: 'updated' | 'created' | 'title';
  /** Newest first for the time sorts, A to Z for the title, unless given. */
  order?: 'asc' | 'desc';
}

export interface Page {
  offset: number;
  limit: number;
}

/**
 * A search or an order by title reads at most this many of the owner's
 * conversations (the most recent ones): neither has an index to page, and
 * one user's conversations are few enough to filter in memory.
 */
export const SCAN_LIMIT = 10_000;
const BATCH = 200;

/** A page of the owner's conversations and how many match in all. */
export async function listConversations(store: Store, owner: Owner, page: Page, query: ConversationQuery = {}): Promise<{ items: Conversation[]; total: number }> {
  const sort = query.sort ?? 'updated';
  const descending = (query.order ?? (sort === 'title' ? 'asc' : 'desc')) === 'desc';
  const search = query.search?.trim().toLowerCase();
  const offset = Math.max(0, Math.floor(page.offset));
  const limit = Math.max(0, Math.floor(page.limit));
  const list = conversationList(owner, sort === 'created' ? 'created' : 'updated', query.agentId);

  if (!search && sort !== 'title') {
    const { members, total } = await store.indexRange(list, { offset, limit, reverse: descending });
    return { items: await loadConversations(store, owner, members), total };
  }
  let matching = await scan(store, owner, list, sort === 'title' || descending);
  if (search) matching = matching.filter((c) => c.title.toLowerCase().includes(search));
  if (sort === 'title') {
    matching.sort((a, b) => compareTitles(a, b) * (descending ? -1 : 1));
  }
  return { items: matching.slice(offset, offset + limit), total: matching.length };
}

/** Records of the listed ids, in order; one deleted meanwhile is left out. */
export async function loadConversations(store: Store, owner: Owner, ids: string[]): Promise<Conversation[]> {
  const records = await Promise.all(ids.map((conversationId) => store.get<Conversation>(CONVERSATION, conversationKey({ ...owner, conversationId }))));
  return records.flatMap((r) => (r ? [r.value] : []));
}

async function scan(store: Store, owner: Owner, list: string, reverse: boolean): Promise<Conversation[]> {
  const out: Conversation[] = [];
  for (let offset = 0; offset < SCAN_LIMIT; offset += BATCH) {
    const { members } = await store.indexRange(list, { offset, limit: Math.min(BATCH, SCAN_LIMIT - offset), reverse });
    out.push(...(await loadConversations(store, owner, members)));
    if (members.length < BATCH) break;
  }
  return out;
}

/** By title ignoring case, then by exact title, then by id, so pages never overlap. */
function compareTitles(a: Conversation, b: Conversation): number {
  const folded = a.title.localeCompare(b.title, 'en', { sensitivity: 'base' });
  return folded || compareMembers(a.title, b.title) || compareMembers(a.id, b.id);
}
