// A request's price ceilings: the most it accepts paying per 1M prompt and completion tokens, as
// OpenRouter's `provider.max_price` asks (in the body of a Chat Completions request) or as the
// `x-router-max-price: prompt=1,completion=4` header says on any API. Deployments priced above it
// are not eligible (rule `max_price`), for the pick and every fallback, so a caller can keep a
// router, or a pool, to the cheap end of its models. Both given: the lower of each.
import { describeValue } from '../core/describe-value.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import type { MaxPrice } from '../routing/eligibility.js';
import type { ChatCall } from './gateway-types.js';
import { headerValue } from './request-target.js';

export const MAX_PRICE_HEADER = 'x-router-max-price';

/** The request's ceilings, undefined when it sets none; a 400 naming the field when malformed. */
export function resolveMaxPrice(call: ChatCall): MaxPrice | undefined {
  const provider = (call.request as { provider?: unknown }).provider;
  const header = headerValue(call, MAX_PRICE_HEADER);
  if (provider === undefined && header === undefined) return undefined;
  const fromBody = isObject(provider) ? bodyCeilings(provider.max_price) : undefined;
  const fromHeader = header === undefined ? undefined : headerCeilings(header);
  if (!fromBody) return fromHeader;
  if (!fromHeader) return fromBody;
  const lower = (a?: number, b?: number) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);
  return {
    prompt: lower(fromBody.prompt, fromHeader.prompt),
    completion: lower(fromBody.completion, fromHeader.completion),
  };
}

function ceiling(value: unknown, param: string): number | undefined {
  if (value === undefined) return undefined;
  // OpenRouter accepts prices as numbers or numeric strings.
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    throw invalidRequest(
      `${param} must be a price in USD per 1M tokens, a number ≥ 0 (got ${describeValue(value)}).`,
      param,
      'invalid_value',
    );
  return n;
}

function bodyCeilings(maxPrice: unknown): MaxPrice | undefined {
  if (maxPrice === undefined) return undefined;
  if (!isObject(maxPrice))
    throw invalidRequest(
      'provider.max_price must be an object such as {"prompt": 1, "completion": 4} (USD per 1M tokens).',
      'provider.max_price',
      'invalid_value',
    );
  return {
    prompt: ceiling(maxPrice.prompt, 'provider.max_price.prompt'),
    completion: ceiling(maxPrice.completion, 'provider.max_price.completion'),
  };
}

function headerCeilings(text: string): MaxPrice {
  const out: MaxPrice = {};
  for (const part of text.split(',')) {
    const [name, value, extra] = part.split('=').map((s) => s.trim());
    if ((name !== 'prompt' && name !== 'completion') || value === undefined || extra !== undefined)
      throw invalidRequest(
        `${MAX_PRICE_HEADER} must read like "prompt=1,completion=4" (USD per 1M tokens; either may be left out), got "${text.slice(0, 80)}".`,
        MAX_PRICE_HEADER,
        'invalid_value',
      );
    out[name] = ceiling(value, MAX_PRICE_HEADER);
  }
  return out;
}
