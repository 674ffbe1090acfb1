// Whether a chat request continues a conversation, as the routing data's `multi_turn` says of a
// prompt: the request log keeps its texts as one string, so this is recorded beside them.
import type { ChatRequest } from './wire-types.js';

/**
 * More than one user message, or an assistant message before the last message (an earlier
 * answer, a tool call made). An assistant message at the end alone is a prefill of this turn's
 * answer, not an earlier turn; system and developer messages do not count.
 */
export function isMultiTurn(request: Pick<ChatRequest, 'messages'>): boolean {
  const messages = request.messages;
  let users = 0;
  for (let i = 0; i < messages.length; i++) {
    const role = messages[i]!.role;
    if (role === 'user' && ++users > 1) return true;
    if (role === 'assistant' && i < messages.length - 1) return true;
  }
  return false;
}
