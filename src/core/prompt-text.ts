// Text of a chat request as one string, for token counting, filters and logs. Images and audio
// parts contribute nothing (routing is on text only).
import { countTokens } from 'gpt-tokenizer';
import type { ChatRequest } from './wire-types.js';

type ContentPart = { type?: unknown; text?: unknown };

/** Concatenated text of every message (all roles, all turns), tool definitions excluded. */
export function collectPromptText(request: ChatRequest): string {
  let out = '';
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (typeof content === 'string') out += content + '\n';
    else if (Array.isArray(content)) {
      for (const part of content as ContentPart[]) {
        if (part && typeof part.text === 'string') out += part.text + '\n';
      }
    }
    const toolCalls = (message as { tool_calls?: { function?: { arguments?: unknown } }[] }).tool_calls;
    if (Array.isArray(toolCalls)) {
      for (const call of toolCalls) {
        if (typeof call?.function?.arguments === 'string') out += call.function.arguments + '\n';
      }
    }
  }
  return out;
}

/** Per-message overhead OpenAI's chat format adds (≈3 tokens a message, 3 for the reply primer). */
const TOKENS_PER_MESSAGE = 3;

/** Prompt tokens with a real BPE tokenizer (o200k), plus tool schemas and message overhead. */
export function countPromptTokens(request: ChatRequest, text = collectPromptText(request)): number {
  let tokens = countTokens(text) + TOKENS_PER_MESSAGE * (request.messages.length + 1);
  if (Array.isArray(request.tools) && request.tools.length > 0) tokens += countTokens(JSON.stringify(request.tools));
  return tokens;
}

/** The output the client asked room for (0 when it set no limit). */
export function requestedOutputTokens(request: ChatRequest): number {
  const v = request.max_completion_tokens ?? request.max_tokens;
  return typeof v === 'number' && v > 0 ? v : 0;
}

/** True when any message carries an image part. */
export function requestHasImages(request: ChatRequest): boolean {
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (Array.isArray(content)) {
      for (const part of content as ContentPart[]) if (part?.type === 'image_url') return true;
    }
  }
  return false;
}
