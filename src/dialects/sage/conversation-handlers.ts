import type { Handler } from '../../http/dialect.js';
import type { SageContext } from './context.js';

export function conversationHandlers(_c: SageContext): Record<string, Handler> {
  return {};
}
