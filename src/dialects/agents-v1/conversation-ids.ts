import type { Engine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import type { Conversation, Principal } from '../../engine/records.js';

/**
 * Conversation ids as this API's clients know them: `conv_YYYYMMDD_HHMMSS_mmm`
 * (UTC), down to the millisecond. Two conversations in one millisecond would
 * share an id, so each instance hands out strictly increasing milliseconds
 * (borrowing the next one when the clock has not moved on), and the store's
 * create-if-absent settles races between instances: on a clash the next
 * millisecond is tried. The shape therefore always holds, and a user's ids
 * are unique across every instance sharing the store (conversations are
 * scoped to their owner, so two users may hold the same id).
 */
let lastMs = 0;

function nextMs(): number {
  lastMs = Math.max(Date.now(), lastMs + 1);
  return lastMs;
}

export function formatConversationId(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `conv_${date}_${time}_${pad(d.getUTCMilliseconds(), 3)}`;
}

const MAX_ATTEMPTS = 50;

/** Creates a conversation of `agentId` for the principal under a fresh id of the API's shape. */
export async function createConversation(engine: Engine, principal: Principal, agentId: string): Promise<Conversation> {
  for (let attempt = 1; ; attempt++) {
    const ms = nextMs();
    try {
      return await engine.conversations.create(principal, { id: formatConversationId(ms), agentId }, ms);
    } catch (err) {
      // `create` refuses only an id that is taken; anything else is a real failure.
      if (!(err instanceof EngineError && err.code === 'conflict') || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
