/** The OpenBee calls the stream tests make around their streams, each checked and bounded. */
import type { BeeClient } from './client.js';

export const streamUrl = (api: string, sessionId: string, token: string): string =>
  `${api}/local/sessions/${encodeURIComponent(sessionId)}/stream?token=${encodeURIComponent(token)}`;

export async function newSession(client: BeeClient, name = 'stream test'): Promise<string> {
  const created = await client.post('/local/sessions', { name });
  if (created.status !== 201) throw new Error(`create session: ${created.status} ${created.text}`);
  return created.body.id as string;
}

/** Queues a message (a run of the demo agent on the scripted model). */
export async function sendMessage(client: BeeClient, sessionId: string, content: string): Promise<void> {
  const sent = await client.post(`/local/sessions/${sessionId}/messages`, { content });
  if (sent.status !== 202) throw new Error(`send message: ${sent.status} ${sent.text}`);
}

/** The bee replies `GET .../messages` shows, oldest first (its cookie is not kept). */
export async function storedReplies(client: BeeClient, sessionId: string): Promise<string[]> {
  const listed = await client.get(`/local/sessions/${sessionId}/messages`);
  if (listed.status !== 200) throw new Error(`list messages: ${listed.status} ${listed.text}`);
  return (listed.body as { role: string; content: string }[]).filter((m) => m.role === 'bee').map((m) => m.content);
}

/** Resolves once `ok()` holds (checked every 20 ms); rejects after `ms`. */
export async function eventually(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the session holds a bee reply with this text (the run finished). */
export function untilStored(client: BeeClient, sessionId: string, text: string, ms?: number): Promise<void> {
  return eventually(`the reply "${text}" to be stored`, async () => (await storedReplies(client, sessionId)).includes(text), ms);
}
