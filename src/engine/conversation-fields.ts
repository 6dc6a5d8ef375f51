import { invalid } from './errors.js';
import { messageText } from './message-text.js';
import type { Message } from './records.js';

/** Longest client-chosen conversation id and title. */
export const MAX_ID_LENGTH = 256;
export const MAX_TITLE_LENGTH = 200;

/** A client- or dialect-chosen conversation id, checked before it names any key. */
export function checkId(id: string): void {
  // Control characters would end up in logs and keys; the length bounds every key built from the id.
  if (id.length === 0 || id.length > MAX_ID_LENGTH || /\p{Cc}/u.test(id)) {
    throw invalid(`a conversation id is 1 to ${MAX_ID_LENGTH} characters without control characters`, { field: 'conversation_id' });
  }
}

/** A title as stored: trimmed, not empty, bounded. */
export function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TITLE_LENGTH || /\p{Cc}/u.test(trimmed)) {
    throw invalid(`a title is 1 to ${MAX_TITLE_LENGTH} characters without control characters`, { field: 'title' });
  }
  return trimmed;
}

/** The title a conversation gets from its first user message. */
export function titleFrom(message: Pick<Message, 'role' | 'content'>): string {
  if (message.role !== 'user') return '';
  const text = messageText(message.content, ' ');
  return text.trim().slice(0, 60);
}
