import type { Engine } from '../../engine/engine.js';
import type { Conversation, Message, Principal } from '../../engine/records.js';
import { isoOf } from './conversation-dto.js';

/**
 * A conversation as a Markdown document, the download of
 * `GET /api/sessions/{id}/download`: readable as is and in any Markdown
 * viewer. The title and times head it; each message follows under its
 * speaker, with the tools an answer called and their results. Reasoning is
 * left out (it is not part of the answer the user saw as the conversation);
 * images are named by their file, never inlined.
 */
export function conversationMarkdown(conversation: Conversation, agentName: string, messages: Message[]): string {
  const lines: string[] = [
    `# ${oneLine(conversation.title) || conversation.id}`,
    '',
    `- Session: ${conversation.id}`,
    `- Agent: ${oneLine(agentName)} (${conversation.agentId})`,
    `- Created: ${isoOf(conversation.createdAt)}`,
    `- Updated: ${isoOf(conversation.updatedAt)}`,
    `- Messages: ${messages.length}`,
    '',
  ];
  for (const message of messages) {
    lines.push(`## ${heading(message.role)} · ${isoOf(message.createdAt)}`, '');
    const text = textOf(message);
    if (text) lines.push(text, '');
    for (const call of message.toolCalls ?? []) {
      lines.push(`Tool call \`${call.name}\`:`, '', fenced(call.arguments), '');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A file name for the download: the title without characters file systems refuse, `.md`. */
export function exportFileName(conversation: Conversation): string {
  const base = (conversation.title || conversation.id).replace(/[\p{Cc}/\\:*?"<>|]+/gu, '_').trim().slice(0, 80);
  return `${base || 'conversation'}.md`;
}

function heading(role: Message['role']): string {
  return role === 'user' ? 'User' : role === 'assistant' ? 'Assistant' : 'Tool result';
}

function textOf(message: Message): string {
  const body =
    typeof message.content === 'string'
      ? message.content
      : message.content.map((part) => (part.type === 'text' ? part.text : `[image: ${part.file.path}]`)).join('\n');
  return message.role === 'tool' ? fenced(body) : body.trim();
}

/** A code block whose fence is longer than any backtick run inside, so the content cannot end it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const MESSAGE_PAGE = 1000;

/** Every message of the conversation, read a page at a time (the engine hands out at most a page per read). */
export async function allMessages(engine: Engine, principal: Principal, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const page = await engine.conversations.messages(principal, conversationId, out.length, MESSAGE_PAGE);
    out.push(...page);
    if (page.length < MESSAGE_PAGE) return out;
  }
}
