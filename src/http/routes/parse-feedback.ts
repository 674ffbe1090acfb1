// The body of `POST /v1/feedback`, checked field by field (a 400 naming the field otherwise). Two
// shapes: the router's own `{request_id | decision_id, score, weight?, comment?, metadata?}`, and
// Portkey's `{trace_id, value, weight?, metadata?}` (portkey.ai/docs/api-reference, "Create
// feedback": `value` an integer in [-10, 10], `weight` in [0, 1], default 1), its `trace_id` read as
// a request id and its `value` as the score (value + 10) / 20.
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { tagsFromMetadata } from '../../gateway/attribution.js';
import type { RequestRef } from '../../store/feedback-store.js';

export const MAX_COMMENT_CHARS = 4_000;
const MAX_ID_CHARS = 256;

export interface FeedbackInput {
  ref: RequestRef;
  /** The field that named the request (request_id, decision_id or trace_id), for errors. */
  refParam: 'request_id' | 'decision_id' | 'trace_id';
  score: number;
  weight: number;
  comment?: string;
  metadata?: Record<string, string>;
  /** Sent in Portkey's shape (`trace_id`, `value`): the reply adds Portkey's fields. */
  portkey: boolean;
}

/** Portkey's feedback value (an integer in [-10, 10]) as a score in [0, 1]: linear, 0 → 0.5. */
export function scoreFromPortkeyValue(value: number): number {
  return (value + 10) / 20;
}

const number = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseFeedback(body: unknown): FeedbackInput {
  if (!isObject(body))
    throw invalidRequest(
      'The body must be a JSON object: {"request_id": "...", "score": 0.8} (or Portkey\'s {"trace_id": "...", "value": 5}).',
      null,
      'invalid_type',
    );
  const named = (['request_id', 'decision_id', 'trace_id'] as const).filter(
    (k) => body[k] !== undefined && body[k] !== null,
  );
  if (named.length === 0)
    throw invalidRequest(
      "'request_id' is required: the x-request-id of the answer you rate (or its x-router-decision-id as 'decision_id').",
      'request_id',
      'missing_required_parameter',
    );
  if (named.length > 1)
    throw invalidRequest(
      `Name the request once: '${named[0]}' or '${named[1]}', not both.`,
      named[1]!,
      'invalid_value',
    );
  const refParam = named[0]!;
  const id = body[refParam];
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_CHARS)
    throw invalidRequest(
      `'${refParam}' must be a non-empty string of at most ${MAX_ID_CHARS} characters.`,
      refParam,
      typeof id === 'string' ? 'invalid_value' : 'invalid_type',
    );
  const ref: RequestRef = refParam === 'decision_id' ? { decisionId: id } : { requestId: id };

  if (body.score !== undefined && body.value !== undefined)
    throw invalidRequest(
      "Send 'score' (in [0, 1]) or Portkey's 'value' (an integer in [-10, 10]), not both.",
      'value',
      'invalid_value',
    );
  let score: number;
  if (body.value !== undefined) {
    const v = body.value;
    if (!number(v) || !Number.isInteger(v) || v < -10 || v > 10)
      throw invalidRequest(
        `'value' must be an integer from -10 to 10 (got ${describeValue(v)}).`,
        'value',
        number(v) ? 'invalid_value' : 'invalid_type',
      );
    score = scoreFromPortkeyValue(v);
  } else {
    const s = body.score;
    if (s === undefined)
      throw invalidRequest(
        "'score' is required: the answer's quality as a number from 0 (bad) to 1 (good).",
        'score',
        'missing_required_parameter',
      );
    if (!number(s) || s < 0 || s > 1)
      throw invalidRequest(
        `'score' must be a number from 0 to 1 (got ${describeValue(s)}).`,
        'score',
        number(s) ? 'invalid_value' : 'invalid_type',
      );
    score = s;
  }
  let weight = 1;
  if (body.weight !== undefined && body.weight !== null) {
    const w = body.weight;
    if (!number(w) || w < 0 || w > 1)
      throw invalidRequest(
        `'weight' must be a number from 0 to 1 (got ${describeValue(w)}).`,
        'weight',
        number(w) ? 'invalid_value' : 'invalid_type',
      );
    weight = w;
  }
  const out: FeedbackInput = {
    ref,
    refParam,
    score,
    weight,
    portkey: refParam === 'trace_id' || body.value !== undefined,
  };
  if (body.comment !== undefined && body.comment !== null) {
    const c = body.comment;
    if (typeof c !== 'string' || c.length > MAX_COMMENT_CHARS)
      throw invalidRequest(
        `'comment' must be a string of at most ${MAX_COMMENT_CHARS} characters.`,
        'comment',
        typeof c === 'string' ? 'invalid_value' : 'invalid_type',
      );
    out.comment = c;
  }
  // OpenAI's metadata limits (16 pairs, keys ≤ 64, string values ≤ 512), checked as chat's are.
  if (tagsFromMetadata(body.metadata).length)
    out.metadata = { ...(body.metadata as Record<string, string>) };
  return out;
}
