import type Koa from 'koa';
import type { ConversationQuery } from '../../engine/conversation-listings.js';
import { queryParam } from '../../http/request-params.js';
import { sageError } from './i18n.js';

export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

/** `sort_by` as the web UI and the public server spell it, to the engine's sort. */
const SORTS: Record<string, ConversationQuery['sort']> = {
  date: 'updated',
  updated: 'updated',
  updated_at: 'updated',
  created: 'created',
  created_at: 'created',
  title: 'title',
};

function positiveInt(ctx: Koa.Context, name: string, fallback: number, max: number): number {
  const raw = queryParam(ctx, name);
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw sageError(
      'invalid_argument',
      { 'zh-CN': `${name} 必须是 1 到 ${max} 之间的整数`, en: `${name} must be an integer from 1 to ${max}` },
      { field: name },
    );
  }
  return value;
}

export interface ListQuery {
  page: number;
  pageSize: number;
  query: ConversationQuery;
}

/** `page` (from 1), `page_size` (1..100), `search`, `agent_id`, `sort_by`. */
export function listQueryOf(ctx: Koa.Context): ListQuery {
  const page = positiveInt(ctx, 'page', 1, 1_000_000);
  const pageSize = positiveInt(ctx, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const query: ConversationQuery = {};
  const search = queryParam(ctx, 'search')?.trim();
  if (search) query.search = search;
  const agentId = queryParam(ctx, 'agent_id')?.trim();
  if (agentId) query.agentId = agentId;
  const sortBy = queryParam(ctx, 'sort_by')?.trim();
  if (sortBy) {
    const sort = SORTS[sortBy];
    if (!sort) {
      const valid = Object.keys(SORTS).join(', ');
      throw sageError(
        'invalid_argument',
        { 'zh-CN': `sort_by 无效，可选：${valid}`, en: `sort_by must be one of: ${valid}` },
        { field: 'sort_by' },
      );
    }
    query.sort = sort;
  }
  return { page, pageSize, query };
}
