import type { Message } from '../../engine/records.js';
import { messageText } from '../../engine/message-text.js';

/** The text of a message as a bee shows it: its text parts run together. */
export const beeText = (message: Message): string => messageText(message.content, '');

/** A bee message: an answer of the worker with text (tool calls and their results are not shown in the chat). */
export const isBeeReply = (message: Message): boolean => message.role === 'assistant' && beeText(message).trim() !== '';
