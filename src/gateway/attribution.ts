// Who and what a request's spend belongs to, below the tenant and the key: the end user the client
// names (`user` / `safety_identifier` in OpenAI's APIs, `metadata.user_id` in Anthropic's) and
// tags (the `x-router-tags` header, and OpenAI's `metadata` pairs as `key=value`). Recorded with
// every request for `report --by user|tag` and `GET /admin/v1/usage`; never used to route and
// never a metric label (their number is unbounded).
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import { describeValue } from '../core/describe-value.js';

export interface Attribution {
  endUser?: string;
  tags?: string[];
}

export const TAGS_HEADER = 'x-router-tags';
const MAX_HEADER_TAGS = 16;
const MAX_TAG_CHARS = 64;
const TAG = /^[A-Za-z0-9_.:=/@+-]+$/;
// OpenAI's own limits on `metadata` (openapi.yaml, Metadata): 16 pairs, keys up to 64 characters,
// values strings up to 512.
const MAX_METADATA_PAIRS = 16;
const MAX_METADATA_KEY = 64;
const MAX_METADATA_VALUE = 512;
/** An end user's name is kept up to this many characters (`user` and Anthropic's `metadata.user_id`
 * have no bound; `safety_identifier` past 64 is refused at the door, http/field-limits.ts). */
const MAX_END_USER_CHARS = 256;

/** A tag the `x-router-tags` header may carry: 1–64 of `A-Z a-z 0-9 _ . : = / @ + -`. */
function isHeaderTag(tag: string): boolean {
  return tag.length <= MAX_TAG_CHARS && TAG.test(tag);
}

/** A tag OpenAI's `metadata` may carry: `key=value`, the key up to 64 characters, the value 512. */
function isMetadataTag(tag: string): boolean {
  // The key may itself hold `=`: any split that fits both bounds is a pair a request can send.
  for (let i = tag.indexOf('='); i >= 0 && i <= MAX_METADATA_KEY; i = tag.indexOf('=', i + 1))
    if (tag.length - i - 1 <= MAX_METADATA_VALUE) return true;
  return false;
}

/**
 * Why no request could carry `tag`, or undefined when one can (through the header or `metadata`):
 * config naming a tag checks it here, so a limit that could never apply is an error, not a no-op.
 */
export function findTagProblem(tag: string): string | undefined {
  if (isHeaderTag(tag) || isMetadataTag(tag)) return undefined;
  return `no request can carry the tag "${tag.slice(0, 80)}": a tag is 1–${MAX_TAG_CHARS} characters of letters, digits and _ . : = / @ + - (${TAGS_HEADER}), or an OpenAI metadata pair key=value (key up to ${MAX_METADATA_KEY} characters, value up to ${MAX_METADATA_VALUE})`;
}

/** The tags of the `x-router-tags` header: comma-separated, each 1–64 of `A-Z a-z 0-9 _ . : = / @ + -`. */
export function tagsFromHeader(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const tags = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (tags.length > MAX_HEADER_TAGS)
    throw invalidRequest(
      `The ${TAGS_HEADER} header names ${tags.length} tags; send at most ${MAX_HEADER_TAGS}.`,
      TAGS_HEADER,
      'invalid_value',
    );
  for (const t of tags)
    if (!isHeaderTag(t))
      throw invalidRequest(
        `The ${TAGS_HEADER} tag "${t.slice(0, 80)}" is not a tag: tags are comma-separated, each 1–${MAX_TAG_CHARS} characters of letters, digits and _ . : = / @ + -.`,
        TAGS_HEADER,
        'invalid_value',
      );
  return tags;
}

/**
 * OpenAI's `metadata` (Chat Completions, Responses) checked as OpenAI checks it, and read as
 * `key=value` tags. Absent or null: none.
 */
export function tagsFromMetadata(metadata: unknown): string[] {
  if (metadata === undefined || metadata === null) return [];
  if (!isObject(metadata))
    throw invalidRequest(
      "'metadata' must be an object of string values (up to 16 pairs).",
      'metadata',
      'invalid_type',
    );
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_PAIRS)
    throw invalidRequest(
      `'metadata' has ${entries.length} pairs; send at most ${MAX_METADATA_PAIRS}.`,
      'metadata',
      'invalid_value',
    );
  return entries.map(([key, value]) => {
    if (key.length > MAX_METADATA_KEY)
      throw invalidRequest(
        `'metadata' key "${key.slice(0, 80)}…" is longer than ${MAX_METADATA_KEY} characters.`,
        'metadata',
        'invalid_value',
      );
    if (typeof value !== 'string' || value.length > MAX_METADATA_VALUE)
      throw invalidRequest(
        `'metadata.${key}' must be a string of at most ${MAX_METADATA_VALUE} characters.`,
        `metadata.${key}`,
        typeof value === 'string' ? 'invalid_value' : 'invalid_type',
      );
    return `${key}=${value}`;
  });
}

/** A client-named end user: a string (a 400 otherwise), kept up to 256 characters. */
export function endUserFrom(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw invalidRequest(
      `'${param}' must be a string naming your end user; got ${describeValue(value)}.`,
      param,
      'invalid_type',
    );
  return value.slice(0, MAX_END_USER_CHARS);
}

const NONE: Attribution = Object.freeze({});

/** Tags without repeats, in the order first named. */
function combine(endUser: string | undefined, tags: string[]): Attribution {
  const unique = [...new Set(tags)];
  return {
    ...(endUser !== undefined ? { endUser } : {}),
    ...(unique.length ? { tags: unique } : {}),
  };
}

/**
 * The attribution of an OpenAI-format request body (Chat Completions, Responses, Embeddings):
 * `safety_identifier`, else `user`; `metadata` pairs and the header's tags.
 */
export function openAiAttribution(
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Attribution {
  // Most requests name nothing: no allocation for them (this runs on every request).
  if (
    body.user == null &&
    body.safety_identifier == null &&
    body.metadata == null &&
    headers[TAGS_HEADER] === undefined
  )
    return NONE;
  const endUser =
    endUserFrom(body.safety_identifier, 'safety_identifier') ?? endUserFrom(body.user, 'user');
  return combine(endUser, [
    ...tagsFromHeader(headers[TAGS_HEADER]),
    ...tagsFromMetadata(body.metadata),
  ]);
}

/** The attribution of an Anthropic Messages body: `metadata.user_id` and the header's tags. */
export function anthropicAttribution(
  body: Record<string, unknown>,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Attribution {
  const userId = isObject(body.metadata) ? body.metadata.user_id : undefined;
  const endUser = endUserFrom(userId, 'metadata.user_id');
  return combine(
    endUser !== undefined ? (claudeCodeUser(endUser) ?? endUser) : undefined,
    tagsFromHeader(headers[TAGS_HEADER]),
  );
}

/**
 * The person behind Claude Code's `metadata.user_id`, which also names the session, so every
 * session would count as an end user of its own (in budgets and in usage by user): its account
 * when signed in, else its device. Claude Code 2.x sends JSON (`{"device_id", "account_uuid",
 * "session_id"}`), 1.x `user_<device>_account_<account>_session_<session>`. Other ids as sent.
 */
export function claudeCodeUser(userId: string): string | undefined {
  const legacy = /^user_([0-9a-f]{16,})_account_([0-9a-f-]*)_session_[0-9a-f-]+$/.exec(userId);
  if (legacy) return legacy[2] ? `account:${legacy[2]}` : `device:${legacy[1]}`;
  if (!userId.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(userId);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || typeof parsed.session_id !== 'string') return undefined;
  if (typeof parsed.account_uuid === 'string' && parsed.account_uuid)
    return `account:${parsed.account_uuid}`;
  if (typeof parsed.device_id === 'string' && parsed.device_id) return `device:${parsed.device_id}`;
  return undefined;
}
