import type { ChatMessage, ContentPart } from '../executor.js';

/** A message in the Chat Completions wire shape. */
export type WireMessage = Record<string, unknown>;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function wireContent(content: string | ContentPart[]): string | Record<string, unknown>[] {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image_url', image_url: { url: part.url } },
  );
}

/**
 * Converts the conversation to the wire shape, cleaned so strict servers
 * accept it again: assistant tool calls whose arguments are not valid JSON,
 * or that no tool result answers, are dropped; tool results without a
 * matching earlier call (or answering a call twice) are dropped; an assistant
 * message left with neither text nor tool calls is not sent (some servers
 * answer 422). Reasoning goes back as `reasoning_content` only when the
 * model's `send_reasoning` asks for it: some servers want it on tool turns,
 * several reject it.
 */
export function toWireMessages(messages: ChatMessage[], options: { sendReasoning?: boolean } = {}): WireMessage[] {
  const open = new Set<string>();
  const out: WireMessage[] = [];
  messages.forEach((message, at) => {
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: message.content });
        break;
      case 'user':
        out.push({ role: 'user', content: wireContent(message.content) });
        break;
      case 'assistant': {
        // A new assistant turn ends the window in which earlier calls could be answered.
        open.clear();
        const answered = answeredAfter(messages, at);
        const calls = (message.toolCalls ?? []).filter(
          (c) => c.id && c.name && isJson(c.arguments) && answered.has(c.id) && !open.has(c.id),
        );
        for (const call of calls) open.add(call.id);
        if (!message.content && calls.length === 0) break;
        const wire: WireMessage = { role: 'assistant', content: message.content || null };
        if (options.sendReasoning && message.reasoning) wire.reasoning_content = message.reasoning;
        if (calls.length > 0) {
          wire.tool_calls = calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          }));
        }
        out.push(wire);
        break;
      }
      case 'tool':
        if (!open.delete(message.toolCallId)) break;
        out.push({
          role: 'tool',
          tool_call_id: message.toolCallId,
          content: typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
        });
        break;
    }
  });
  return out;
}

/** Ids answered by the tool results that follow message `at`, up to the next assistant message. */
function answeredAfter(messages: ChatMessage[], at: number): Set<string> {
  const ids = new Set<string>();
  for (let i = at + 1; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === 'assistant') break;
    if (message.role === 'tool') ids.add(message.toolCallId);
  }
  return ids;
}
