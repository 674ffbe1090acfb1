// The limits openapi.yaml sets on fields the router otherwise only passes on or echoes, checked
// before routing so a request breaking one gets the same 400 whichever model would serve it (an
// OpenAI deployment refused it, Claude or the simulated fleet took it, and the Response echoed
// it): `safety_identifier` (at most 64 characters), `metadata` (`Metadata`: at most 16 pairs, keys
// up to 64 characters, string values up to 512; gateway/attribution.ts checks it, as it reads it,
// here before routing), chat's `logit_bias` (token ids to −100…100),
// `verbosity` (`Verbosity`) and `service_tier` (a string: the upstream checks its value).
// OpenAI's `user` has no length limit in the spec, so none is set here.
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { tagsFromMetadata } from '../gateway/attribution.js';
import { checkFieldType, checkNumberField, checkOneOf } from './check-fields.js';
import { describeValue } from '../core/describe-value.js';

/** openapi.yaml `ModelResponseProperties.safety_identifier.maxLength`. */
export const MAX_SAFETY_IDENTIFIER = 64;
/** openapi.yaml `Verbosity`. */
export const VERBOSITIES = ['low', 'medium', 'high'] as const;
/** A logit_bias key: a token id, a non-negative integer written in decimal. */
const TOKEN_ID = /^\d+$/;

type Json = Record<string, unknown>;

/** `safety_identifier` and `metadata`, on Chat Completions and the Responses API. */
export function checkIdentityAndMetadata(body: Json): void {
  checkFieldType(body, 'safety_identifier', 'string');
  const id = body.safety_identifier;
  if (typeof id === 'string' && id.length > MAX_SAFETY_IDENTIFIER)
    throw invalidRequest(
      `Invalid 'safety_identifier': string too long. Expected a string with maximum length ${MAX_SAFETY_IDENTIFIER}, but got a string with length ${id.length} instead: send a hash of the end user's id (a SHA-256 hex digest cut to 64 characters, say).`,
      'safety_identifier',
      'string_above_max_length',
    );
  // openapi.yaml `Metadata` (16 pairs, keys ≤ 64, string values ≤ 512), as attribution reads it.
  tagsFromMetadata(body.metadata);
}

/** Chat's `logit_bias`: absent, null or token ids (decimal integers) to a bias of −100…100. */
export function checkLogitBias(bias: unknown): void {
  if (bias === undefined || bias === null) return;
  if (!isObject(bias))
    throw invalidRequest(
      `'logit_bias' must be an object of token ids to biases from -100 to 100, such as {"50256": -100}; got ${describeValue(bias)}.`,
      'logit_bias',
      'invalid_type',
    );
  for (const [token, value] of Object.entries(bias)) {
    if (!TOKEN_ID.test(token))
      throw invalidRequest(
        `Invalid key in 'logit_bias': ${token.slice(0, 40)}. Keys are token ids: non-negative integers, such as "50256".`,
        'logit_bias',
        'invalid_value',
      );
    checkNumberField(value, `logit_bias.${token}`, { min: -100, max: 100 });
  }
}

/** The limits of a Chat Completions request (Azure's paths too). */
export function checkChatFieldLimits(body: Json): void {
  checkIdentityAndMetadata(body);
  checkLogitBias(body.logit_bias);
  checkOneOf(body.verbosity, 'verbosity', VERBOSITIES);
  checkFieldType(body, 'service_tier', 'string');
}
