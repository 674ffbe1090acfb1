// What realtime conversation items read as input, estimated, for a response cut off before its
// `response.done` (realtime-cost.ts stoppedResponseCost): the items a client adds to the
// conversation (`conversation.item.create`) and those a `response.create` gives its response as
// its own `input` (openapi.yaml RealtimeConversationItem: messages, function calls and their
// outputs). Read only as far as counting needs; nothing is decoded.
import { isObject } from '../core/is-object.js';
import {
  audioTokens,
  base64Bytes,
  INPUT_AUDIO_TOKENS_PER_SECOND,
  OUTPUT_AUDIO_TOKENS_PER_SECOND,
  type RealtimeAudioRates,
} from './realtime-audio.js';
import type { RealtimeConversation } from './realtime-cost.js';

/** ≈4 characters a token, as the router estimates text without a tokenizer; 0 for a non-string. */
const textTokens = (text: unknown): number =>
  typeof text === 'string' ? Math.ceil(text.length / 4) : 0;

/**
 * Adds what `item` reads as input to `into`: a message's text parts (`input_text`, `text`,
 * `output_text`), a user's `input_audio` at the session's input format and 10 tokens a second,
 * an assistant's `output_audio` at its output format and 20 a second (OpenAI's guide to Realtime
 * costs: a token per 100 ms of a user's audio, per 50 ms of the assistant's), else its transcript
 * as text; a function call's name and arguments; a function call's output. An input audio's
 * `transcript` is not counted ("not sent to the model"), nor are images, MCP items or references
 * to earlier items by id (`item_reference`: the router keeps no items), so the estimate can be
 * short.
 */
export function addItemInput(
  into: RealtimeConversation,
  item: unknown,
  rates: RealtimeAudioRates,
): RealtimeConversation {
  if (!isObject(item)) return into;
  if (item.type === 'function_call') {
    into.textTokens += textTokens(item.name) + textTokens(item.arguments);
  } else if (item.type === 'function_call_output') {
    into.textTokens += textTokens(item.output);
  } else if (item.type === 'message' && Array.isArray(item.content)) {
    for (const part of item.content) {
      if (!isObject(part)) continue;
      if (part.type === 'input_audio')
        into.audioTokens += audioTokens(
          base64Bytes(part.audio),
          rates.input,
          INPUT_AUDIO_TOKENS_PER_SECOND,
        );
      else if (part.type === 'output_audio' || part.type === 'audio') {
        const bytes = base64Bytes(part.audio);
        if (bytes > 0)
          into.audioTokens += audioTokens(bytes, rates.output, OUTPUT_AUDIO_TOKENS_PER_SECOND);
        else into.textTokens += textTokens(part.transcript);
      } else into.textTokens += textTokens(part.text);
    }
  }
  return into;
}

/** What `items` (a `response.create`'s own `input`) read as input, each as addItemInput counts. */
export function itemsInput(
  items: readonly unknown[],
  rates: RealtimeAudioRates,
): RealtimeConversation {
  const input = { textTokens: 0, audioTokens: 0 };
  for (const item of items) addItemInput(input, item, rates);
  return input;
}
