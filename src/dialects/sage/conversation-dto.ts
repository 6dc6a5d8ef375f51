import type { Engine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import type { Conversation, Message, Principal } from '../../engine/records.js';

/** Sage's times are ISO strings (the list) or float seconds (stream lines). */
export const isoOf = (ms: number): string => new Date(ms).toISOString();

/** One sidebar item of `GET /api/conversations`. */
export interface ConversationItem {
  session_id: string;
  user_id: string;
  agent_id: string;
  agent_name: string;
  title: string;
  message_count: number;
  user_count: number;
  agent_count: number;
  created_at: string;
  updated_at: string;
  trace_url: string | null;
}

/**
 * A link to the session's traces in Jaeger when one is configured: a search
 * by the `session_id` tag, since one conversation spans many traces (one per
 * run). Null otherwise, as the public server sends when tracing is off.
 */
export function traceUrlOf(jaegerUrl: string | undefined, sessionId: string): string | null {
  if (!jaegerUrl) return null;
  const tags = encodeURIComponent(JSON.stringify({ session_id: sessionId }));
  return `${jaegerUrl.replace(/\/+$/, '')}/search?service=switchboard&tags=${tags}`;
}

/** Agent names by id, looked up once per request; a deleted agent keeps its id as its name. */
export class AgentNames {
  private readonly names = new Map<string, Promise<string>>();

  constructor(
    private readonly engine: Engine,
    private readonly principal: Principal,
  ) {}

  of(agentId: string): Promise<string> {
    let name = this.names.get(agentId);
    if (!name) {
      name = this.engine.directory.getAgent(this.principal, agentId).then(
        (agent) => agent.name,
        (err: unknown) => {
          if (err instanceof EngineError && (err.code === 'not_found' || err.code === 'forbidden')) return agentId;
          throw err;
        },
      );
      this.names.set(agentId, name);
    }
    return name;
  }
}

/** User and assistant messages; tool results count as neither. */
export function roleCounts(messages: Message[]): { user: number; agent: number } {
  let user = 0;
  let agent = 0;
  for (const m of messages) {
    if (m.role === 'user') user++;
    else if (m.role === 'assistant') agent++;
  }
  return { user, agent };
}

export function conversationItem(
  c: Conversation,
  agentName: string,
  counts: { user: number; agent: number },
  jaegerUrl: string | undefined,
): ConversationItem {
  return {
    session_id: c.id,
    user_id: c.userId,
    agent_id: c.agentId,
    agent_name: agentName,
    title: c.title,
    message_count: c.messageCount,
    user_count: counts.user,
    agent_count: counts.agent,
    created_at: isoOf(c.createdAt),
    updated_at: isoOf(c.updatedAt),
    trace_url: traceUrlOf(jaegerUrl, c.id),
  };
}
