// `POST /v1/messages/batches`'s body, checked as Anthropic checks it when the batch is created
// (`requests: [{custom_id, params}]`, anthropic_openapi_curated.yaml `CreateMessageBatchRequest`),
// and turned into the runner's input file: one OpenAI batch line per request, sent to
// `/v1/messages`. The shape is checked at creation, in Anthropic's (pydantic's) words: `requests`,
// each `custom_id` (present, unique, of its pattern), each `params` with the model, max_tokens and
// messages no Messages request goes without, and no field outside these. The rest of a request's
// params is checked when it runs, as Anthropic does: a bad one (one that asks to stream too) is
// an errored result, not a refused batch.
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

/** The fields of `CreateMessageBatchRequest` and of each of its `requests`. */
const BODY_FIELDS = new Set(['requests']);
const REQUEST_FIELDS = new Set(['custom_id', 'params']);

/** A 400 in Anthropic's (pydantic's) words: `<path>: <what is wrong>`. */
const fault = (at: string, what: string) => invalidRequest(`${at}: ${what}`, at);

/** Anthropic's "Extra inputs are not permitted" for a key of `v` outside `fields`. */
function refuseExtra(v: Record<string, unknown>, fields: Set<string>, prefix: string): void {
  const extra = Object.keys(v).find((key) => !fields.has(key));
  if (extra !== undefined)
    // An empty key is named `""`, else the message would name no field at all.
    throw fault(`${prefix}${extra.slice(0, 64) || '""'}`, 'Extra inputs are not permitted');
}

/**
 * The fields of a request's `params` a Messages request cannot go without (model, max_tokens,
 * messages), checked when the batch is created, as Anthropic checks the body's shape then: a
 * batch of requests that cannot run at all is refused whole, not accepted to error line by line.
 * The rest (an unknown model, a bad content block) is checked when the request runs.
 */
function checkParams(params: Record<string, unknown>, at: string): void {
  const { model, max_tokens: maxTokens, messages } = params;
  if (model === undefined) throw fault(`${at}.model`, 'Field required');
  if (typeof model !== 'string') throw fault(`${at}.model`, 'Input should be a valid string');
  if (maxTokens === undefined) throw fault(`${at}.max_tokens`, 'Field required');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens))
    throw fault(`${at}.max_tokens`, 'Input should be a valid integer');
  if (maxTokens < 1) throw fault(`${at}.max_tokens`, 'Input should be greater than or equal to 1');
  if (messages === undefined) throw fault(`${at}.messages`, 'Field required');
  if (!Array.isArray(messages)) throw fault(`${at}.messages`, 'Input should be a valid list');
}

/** Throws a 400 naming the first bad field; else the input file for the runner. */
export function parseMessageBatchRequest(body: unknown, maxRequests: number): MessageBatchInput {
  if (!isObject(body))
    throw invalidRequest(
      'The request body must be a JSON object: {"requests": [{"custom_id": …, "params": {…}}]}.',
    );
  refuseExtra(body, BODY_FIELDS, '');
  const { requests } = body;
  if (requests === undefined)
    throw fault('requests', 'Field required (a list of {custom_id, params})');
  if (!Array.isArray(requests))
    throw fault('requests', 'Input should be a valid list (of {custom_id, params})');
  if (requests.length === 0) throw fault('requests', 'List should have at least 1 item');
  if (requests.length > maxRequests)
    throw invalidRequest(
      `requests: a batch holds at most ${maxRequests} requests on this router (batches.maxRequests); got ${requests.length}. Split it into several batches.`,
      'requests',
    );
  const seen = new Map<string, number>();
  const lines: string[] = [];
  requests.forEach((r, i) => {
    const at = `requests.${i}`;
    if (!isObject(r)) throw fault(at, 'Input should be a valid dictionary ({custom_id, params})');
    refuseExtra(r, REQUEST_FIELDS, `${at}.`);
    const id = r.custom_id;
    if (id === undefined) throw fault(`${at}.custom_id`, 'Field required');
    if (typeof id !== 'string') throw fault(`${at}.custom_id`, 'Input should be a valid string');
    if (!CUSTOM_ID.test(id))
      throw fault(`${at}.custom_id`, "String should match pattern '^[a-zA-Z0-9_-]{1,64}$'");
    const first = seen.get(id);
    if (first !== undefined)
      throw fault(
        `${at}.custom_id`,
        `Duplicate custom_id "${id}" (also requests.${first}.custom_id); each request in a batch needs its own.`,
      );
    seen.set(id, i);
    if (r.params === undefined) throw fault(`${at}.params`, 'Field required');
    if (!isObject(r.params))
      throw fault(`${at}.params`, 'Input should be a valid dictionary (a Messages API request)');
    checkParams(r.params, `${at}.params`);
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
