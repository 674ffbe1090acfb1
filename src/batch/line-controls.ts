// The request controls a batch's lines run with: the `x-router-*` headers (and `cache-control`)
// sent with `POST /v1/batches` (or `/v1/messages/batches`) are kept with the batch and sent with
// each of its lines, so a client can say "route this batch in Cost mode" (`x-router-mode: cost`),
// keep it in a data zone, under a price ceiling, or tag its spend, once. Checked when the batch is
// created, so a bad value is a 400 then, not an error in every line.
import type { ChatCall } from '../gateway/gateway-types.js';
import { tagsFromHeader, TAGS_HEADER } from '../gateway/attribution.js';
import { MAX_PRICE_HEADER, resolveMaxPrice } from '../gateway/max-price.js';
import { invalidRequest } from '../core/errors.js';
import { FORWARD_MODES } from '../config/batch-schema.js';

/** `never` or `when-available`: this batch's own `batches.forward` (see forward/forward-plan.ts). */
export const FORWARD_HEADER = 'x-router-batch-forward';

/** A line carries at most 16 tags, two of them the batch's own. */
const MAX_OWN_TAGS = 14;

/** The headers a batch passes on to its lines. */
export const LINE_CONTROL_HEADERS = [
  'x-router-mode',
  'x-router-data-zone',
  'x-router-regions',
  MAX_PRICE_HEADER,
  TAGS_HEADER,
  'cache-control',
  FORWARD_HEADER,
] as const;

/** The controls in the create request's headers (lower-cased names), checked. */
export function lineControls(headers: ChatCall['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of LINE_CONTROL_HEADERS) {
    const v = headers[name];
    const value = Array.isArray(v) ? v.join(',') : v;
    if (value !== undefined && value.trim() !== '') out[name] = value.trim();
  }
  const mode = out['x-router-mode']?.toLowerCase();
  if (mode !== undefined && mode !== 'balanced' && mode !== 'quality' && mode !== 'cost')
    throw invalidRequest(
      `x-router-mode must be one of balanced, quality, cost (got "${mode.slice(0, 40)}").`,
      'x-router-mode',
    );
  const forward = out[FORWARD_HEADER]?.toLowerCase();
  if (forward !== undefined && !(FORWARD_MODES as readonly string[]).includes(forward))
    throw invalidRequest(
      `${FORWARD_HEADER} must be one of ${FORWARD_MODES.join(', ')} (got "${forward.slice(0, 40)}").`,
      FORWARD_HEADER,
    );
  if (forward !== undefined) out[FORWARD_HEADER] = forward;
  if (out[TAGS_HEADER] !== undefined && tagsFromHeader(out[TAGS_HEADER]).length > MAX_OWN_TAGS)
    throw invalidRequest(
      `${TAGS_HEADER} on a batch names at most ${MAX_OWN_TAGS} tags: each line also carries batch and batch:<id>.`,
      TAGS_HEADER,
      'invalid_value',
    );
  if (out[MAX_PRICE_HEADER] !== undefined)
    resolveMaxPrice({ headers: out, request: {} } as unknown as ChatCall);
  return out;
}
