import type { Store } from '../store/store.js';
import { conversationKey, type ConversationRef } from './conversation-keys.js';

export const MESSAGE = 'message';

/** A conversation's messages by position. */
export const messagesOf = (ref: ConversationRef): string => `messages:${conversationKey(ref)}`;

/** True while messages are filed under the conversation's key (also those of one whose record is gone). */
export async function hasMessages(store: Store, ref: ConversationRef): Promise<boolean> {
  return (await store.indexRange(messagesOf(ref), { offset: 0, limit: 0 })).total > 0;
}

/** Removes every message filed under the conversation's key, with its listing. */
export async function purgeMessages(store: Store, ref: ConversationRef): Promise<void> {
  for (;;) {
    const { members } = await store.indexRange(messagesOf(ref), { offset: 0, limit: 500 });
    if (members.length === 0) return;
    for (const messageId of members) {
      await store.delete(MESSAGE, messageId);
      await store.indexRemove(messagesOf(ref), messageId);
    }
  }
}
