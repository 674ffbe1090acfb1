// OpenAI's legacy Completions API (`/v1/completions`: a `prompt`, `text` in the answer) bridged
// to Chat Completions, the router's internal format: the prompt becomes one user message, the
// answer's message becomes `text`, stream chunks become `text_completion` chunks. What has no
// chat counterpart (echo, suffix, best_of, logprobs, token-id or several prompts) is refused with
// a 400 that says what to send, rather than silently answered differently.
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import {
  OPENROUTER_FIELDS,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
} from '../../core/wire-types.js';
import { parseChatRequest } from '../parse-chat-request.js';

/** Fields passed on to the chat request as they are (both APIs mean the same by them). */
const SHARED = [
  'model',
  'max_tokens',
  'temperature',
  'top_p',
  'n',
  'stream',
  'stream_options',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'user',
  'seed',
  'metadata',
  // OpenRouter's fields: the router's to apply, on either API (never sent upstream).
  ...OPENROUTER_FIELDS,
  // OpenRouter's reasoning object (openrouter-reasoning.ts).
  'reasoning',
] as const;

/** The chat request a Completions body asks for, or a 400 naming the field to change. */
export function completionsToChat(body: unknown, modelOptional = false): ChatRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  const prompt = promptText(body.prompt);
  if (body.echo === true)
    throw invalidRequest(
      'echo is not supported: the router answers through chat models, which do not repeat the prompt. Prepend it to the text yourself.',
      'echo',
    );
  if (typeof body.suffix === 'string' && body.suffix !== '')
    throw invalidRequest(
      'suffix (insertion) is not supported: chat models take no suffix. Send the text before and after the gap in the prompt and say what to fill in.',
      'suffix',
    );
  if (typeof body.best_of === 'number' && body.best_of > 1)
    throw invalidRequest('best_of above 1 is not supported; use n for several answers.', 'best_of');
  if (body.logprobs !== undefined && body.logprobs !== null)
    throw invalidRequest(
      'logprobs is not supported on /v1/completions here; use /v1/chat/completions with logprobs: true.',
      'logprobs',
    );
  const chat: Record<string, unknown> = { messages: [{ role: 'user', content: prompt }] };
  for (const key of SHARED) if (body[key] !== undefined) chat[key] = body[key];
  return parseChatRequest(chat, modelOptional);
}

function promptText(prompt: unknown): string {
  const one = Array.isArray(prompt) && prompt.length === 1 ? prompt[0] : prompt;
  if (typeof one === 'string' && one.length > 0) return one;
  if (Array.isArray(one) || (Array.isArray(prompt) && prompt.length > 1))
    throw invalidRequest(
      'prompt must be one string: the router routes each prompt on its own text, so send several prompts as several requests, and text rather than token ids.',
      'prompt',
    );
  if (one !== undefined && one !== null && one !== '')
    throw invalidRequest(
      `prompt must be a string: the text to complete (an array may hold one such string); got ${describeValue(prompt)}.`,
      'prompt',
      'invalid_type',
    );
  throw invalidRequest('prompt is required: the text to complete.', 'prompt');
}

/** The Completions object for a chat answer; `model` is the model that served. */
export function chatToCompletion(response: ChatResponse): Record<string, unknown> {
  return {
    id: completionId(response.id),
    object: 'text_completion',
    created: response.created,
    model: response.model,
    ...(response.system_fingerprint ? { system_fingerprint: response.system_fingerprint } : {}),
    choices: response.choices.map((c) => ({
      text: c.message.content ?? '',
      index: c.index,
      logprobs: null,
      finish_reason: c.finish_reason,
    })),
    ...(response.usage ? { usage: response.usage } : {}),
  };
}

/** Chat stream chunks as `text_completion` chunks (a usage-only chunk stays one, choices empty). */
export async function* chatChunksToCompletionChunks(
  chunks: AsyncIterable<ChatChunk>,
): AsyncGenerator<Record<string, unknown>> {
  for await (const chunk of chunks) {
    const head = {
      id: completionId(chunk.id),
      object: 'text_completion',
      created: chunk.created,
      model: chunk.model,
    };
    const choices = chunk.choices
      .filter((c) => (c.delta?.content ?? '') !== '' || c.finish_reason)
      .map((c) => ({
        text: c.delta?.content ?? '',
        index: c.index,
        logprobs: null,
        finish_reason: c.finish_reason ?? null,
      }));
    if (choices.length > 0) yield { ...head, choices };
    if (chunk.usage) yield { ...head, choices: [], usage: chunk.usage };
  }
}

function completionId(id: string): string {
  return id.startsWith('chatcmpl-') ? `cmpl-${id.slice(9)}` : id;
}
