// An Anthropic client's `anthropic-beta` header (comma-separated beta names; Claude Code sends
// several, such as `interleaved-thinking-2025-05-14,context-management-2025-06-27`), kept with the
// chat request for an Anthropic deployment to send on (src/providers/anthropic/anthropic-http.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { ANTHROPIC_BETA_FIELD, type ChatRequest } from '../../core/wire-types.js';
import { parseAnthropicBetas } from '../../providers/anthropic/anthropic-http.js';

/** `chat` with the client's betas as its private field, when the client named any. */
export function withClientBetas(chat: ChatRequest, headers: IncomingHttpHeaders): ChatRequest {
  const betas = parseAnthropicBetas(headers['anthropic-beta']);
  if (betas.length) chat[ANTHROPIC_BETA_FIELD] = betas;
  return chat;
}
