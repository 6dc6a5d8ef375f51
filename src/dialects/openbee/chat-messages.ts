import type { Message } from '../../engine/records.js';

/** The text of a message, whatever parts it holds. */
export function messageText(message: Message): string {
  return typeof message.content === 'string' ? message.content : message.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
}

/** A bee message: an answer of the worker with text (tool calls and their results are not shown in the chat). */
export const isBeeReply = (message: Message): boolean => message.role === 'assistant' && messageText(message).trim() !== '';
