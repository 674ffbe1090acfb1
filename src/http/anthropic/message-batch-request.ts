// `POST /v1/messages/batches`'s body, checked as Anthropic checks it when the batch is created
// (`requests: [{custom_id, params}]`, anthropic_openapi_curated.yaml `CreateMessageBatchRequest`),
// and turned into the runner's input file: one OpenAI batch line per request, sent to
// `/v1/messages`. Each request's params are checked only when it runs, as Anthropic does: a bad
// one (one that asks to stream too) is an errored result, not a refused batch.
import { MESSAGES_ENDPOINT } from '../../batch/batch-input.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';

/** Anthropic's rule for `custom_id`. */
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export interface MessageBatchInput {
  /** The input file's content (JSONL, OpenAI's batch line form). */
  content: Buffer;
  count: number;
}

/** A batch line's mark for a request that asked to stream (see parseMessageBatchRequest). */
export const BATCH_STREAM_FIELD = 'x_router_batch_stream';

/** Throws a 400 naming the first bad field; else the input file for the runner. */
export function parseMessageBatchRequest(body: unknown, maxRequests: number): MessageBatchInput {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.');
  const { requests } = body;
  if (!Array.isArray(requests))
    throw invalidRequest('requests: Field required (a list of {custom_id, params})', 'requests');
  if (requests.length === 0)
    throw invalidRequest('requests: List should have at least 1 item', 'requests');
  if (requests.length > maxRequests)
    throw invalidRequest(
      `requests: a batch holds at most ${maxRequests} requests on this router (batches.maxRequests); got ${requests.length}. Split it into several batches.`,
      'requests',
    );
  const seen = new Set<string>();
  const lines: string[] = [];
  requests.forEach((r, i) => {
    const at = `requests.${i}`;
    if (!isObject(r)) throw invalidRequest(`${at}: Input should be an object`, at);
    const id = r.custom_id;
    if (typeof id !== 'string' || !CUSTOM_ID.test(id))
      throw invalidRequest(
        `${at}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
        `${at}.custom_id`,
      );
    if (seen.has(id))
      throw invalidRequest(
        `${at}.custom_id: Duplicate custom_id "${id}"; each request in a batch needs its own.`,
        `${at}.custom_id`,
      );
    seen.add(id);
    if (!isObject(r.params))
      throw invalidRequest(
        `${at}.params: Input should be an object (a Messages API request)`,
        `${at}.params`,
      );
    // A request that asks to stream is an errored result when it runs, as the docs say of every
    // bad request (it refused the whole batch: audit F12, 2026-12-06). A batch line cannot carry
    // `stream: true` (the runner's input refuses it), so it goes as BATCH_STREAM_FIELD, which the
    // Messages route answers with the 400 for a batch line.
    const { stream, ...params } = r.params;
    const body = stream === true ? { ...params, [BATCH_STREAM_FIELD]: true } : r.params;
    lines.push(JSON.stringify({ custom_id: id, method: 'POST', url: MESSAGES_ENDPOINT, body }));
  });
  return { content: Buffer.from(lines.join('\n') + '\n', 'utf8'), count: lines.length };
}
