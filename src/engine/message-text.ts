import type { MessagePart } from './records.js';

/**
 * The text of a message: itself, or its text parts joined by `joiner` (images
 * have no text). Each reader picks the joiner its wire uses: a newline for a
 * transcript, '' for one reply written in pieces, ' ' for a one-line title.
 */
export function messageText(content: string | MessagePart[], joiner = '\n'): string {
  return typeof content === 'string' ? content : content.flatMap((p) => (p.type === 'text' && p.text ? [p.text] : [])).join(joiner);
}
