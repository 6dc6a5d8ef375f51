import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';

/**
 * One keep-alive connection pool per model server origin, shared by every
 * run in this process, so a busy gateway reuses warm TLS connections instead
 * of opening one per model turn.
 */
const agents = new Map<string, Agent>();

/** Idle sockets are kept this long; model servers usually drop them after 60 s or more. */
const KEEP_ALIVE_MS = 30_000;
/** Concurrent connections per origin; each streaming turn holds one for its whole length. */
const CONNECTIONS_PER_ORIGIN = 256;

function agentFor(origin: string): Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new Agent({
      connections: CONNECTIONS_PER_ORIGIN,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS * 4,
      // Stall and whole-call limits are per model and enforced by the caller.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    agents.set(origin, agent);
  }
  return agent;
}

export type ModelResponse = Dispatcher.ResponseData;

/**
 * POSTs a JSON body through the origin's pool. Resolves once the status and
 * headers arrived; the body is left to the caller to read (or destroy).
 * Aborting `signal` tears the request down at once, also mid-body.
 */
export function postJson(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
): Promise<ModelResponse> {
  return request(url, {
    method: 'POST',
    dispatcher: agentFor(new URL(url).origin),
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** Closes every pooled connection (graceful shutdown). Later calls open new pools. */
export async function closeModelConnections(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((agent) => agent.close()));
}

/** `{base_url}/chat/completions`, whether or not the base URL ends with a slash. */
export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
}
