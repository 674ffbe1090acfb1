// Chat's `web_search_options` (openapi.yaml): checked where it arrives, since routing reads it (a
// request that asks for web search goes only to deployments that search) and the Anthropic
// conversion maps its `user_location` onto Claude's web search tool. A malformed value is a 400
// naming the field, before any upstream sees it.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { checkOneOf } from './check-fields.js';
import { describeValue } from '../core/describe-value.js';

const LOCATION_PARTS = ['country', 'region', 'city', 'timezone'] as const;

export function checkWebSearchOptions(body: Record<string, unknown>): void {
  const o = body.web_search_options;
  if (o === undefined || o === null) return;
  if (!isObject(o))
    throw invalidRequest(
      `'web_search_options' must be an object such as {"search_context_size": "medium"}; got ${describeValue(o)}.`,
      'web_search_options',
      'invalid_type',
    );
  checkOneOf(o.search_context_size, 'web_search_options.search_context_size', [
    'low',
    'medium',
    'high',
  ]);
  const loc = o.user_location;
  if (loc === undefined || loc === null) return;
  const at = 'web_search_options.user_location';
  if (!isObject(loc) || loc.type !== 'approximate' || !isObject(loc.approximate))
    throw invalidRequest(
      `'${at}' must be {"type": "approximate", "approximate": {"country", "region", "city", "timezone"}}; got ${describeValue(loc)}.`,
      at,
      'invalid_value',
    );
  for (const part of LOCATION_PARTS) {
    const v = loc.approximate[part];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw invalidRequest(
        `'${at}.approximate.${part}' must be a string; got ${describeValue(v)}.`,
        `${at}.approximate.${part}`,
        'invalid_type',
      );
  }
}
