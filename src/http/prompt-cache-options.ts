// `prompt_cache_options` (openai-node 7.60), checked as OpenAI's types describe it so a bad value
// gets a 400 naming the field whichever deployment routing picks: `mode` implicit or explicit,
// `ttl` a minimum cache lifetime (`30m` or `12h` on Responses, only `30m` on Chat Completions),
// and on Responses `prewarm` (fill the cache, generate nothing) and `comparison_response_id`.
import { describeValue } from '../core/describe-value.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { checkFieldType, checkOneOf } from './check-fields.js';

type Json = Record<string, unknown>;

/** openai-node `ResponseCreateParams.PromptCacheOptions` / `ChatCompletionCreateParams.…`. */
export interface PromptCacheOptionsApi {
  ttls: readonly string[];
  /** Responses only: `prewarm` and `comparison_response_id`. */
  responses: boolean;
}

export const RESPONSES_CACHE_OPTIONS: PromptCacheOptionsApi = {
  ttls: ['30m', '12h'],
  responses: true,
};
export const CHAT_CACHE_OPTIONS: PromptCacheOptionsApi = { ttls: ['30m'], responses: false };

/** Throws a 400 naming the first field of `body.prompt_cache_options` OpenAI would refuse. */
export function checkPromptCacheOptions(body: Json, api: PromptCacheOptionsApi): void {
  const options = body.prompt_cache_options;
  if (options === undefined || options === null) return;
  checkFieldType(body, 'prompt_cache_options', 'object');
  const o = options as Json;
  checkOneOf(o.mode, 'prompt_cache_options.mode', ['implicit', 'explicit']);
  checkOneOf(o.ttl, 'prompt_cache_options.ttl', api.ttls);
  if (!api.responses) return;
  if (o.prewarm !== undefined && o.prewarm !== null && typeof o.prewarm !== 'boolean')
    throw invalidRequest(
      `'prompt_cache_options.prewarm' must be a boolean; got ${describeValue(o.prewarm)}.`,
      'prompt_cache_options.prewarm',
      'invalid_type',
    );
  const compared = o.comparison_response_id;
  if (compared !== undefined && compared !== null && typeof compared !== 'string')
    throw invalidRequest(
      `'prompt_cache_options.comparison_response_id' must be a response id (a string); got ${describeValue(compared)}.`,
      'prompt_cache_options.comparison_response_id',
      'invalid_type',
    );
}

/** Whether a Responses request asks only to fill the prompt cache (`prewarm: true`). */
export function isPrewarm(body: Json): boolean {
  return isObject(body.prompt_cache_options) && body.prompt_cache_options.prewarm === true;
}
