// Optimistic concurrency for the admin API's items (RFC 9110 §13.1): each router, pool and
// deployment has an entity tag, sent as `ETag` when it is read or changed; a change sent with
// `If-Match` applies only while the item is still as the caller read it, judged under the
// config lock on the newest version, so two admins (or a dashboard and a script) editing the same
// item cannot overwrite each other unseen. `If-None-Match: *` makes a PUT create only.
import { createHash } from 'node:crypto';
import { redactConfigSecrets } from '../../auth/redaction.js';
import { GatewayError, invalidRequest } from '../../core/errors.js';

/** The item's entity tag: a hash of it as the admin API shows it (secrets redacted). */
export function itemTag(item: unknown): string {
  const text = JSON.stringify(redactConfigSecrets(item));
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
}

export interface Preconditions {
  /** `If-Match`'s tags (`*` for any current item); undefined without the header. */
  ifMatch?: string[];
  /** `If-None-Match: *`: only when there is no such item. */
  ifNoneMatchAny?: boolean;
}

const TAG = /^(?:W\/)?"[\x21\x23-\x7e]*"$/;

/** The request's preconditions; a header that is no list of entity tags is a 400 naming it. */
export function readPreconditions(headers: Record<string, unknown>): Preconditions {
  const out: Preconditions = {};
  const parse = (name: string): string[] | undefined => {
    const raw = headers[name];
    if (raw === undefined) return undefined;
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    const tags = text
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    if (tags.length === 1 && tags[0] === '*') return ['*'];
    if (tags.length === 0 || !tags.every((t) => TAG.test(t)))
      throw invalidRequest(
        `${name} must be "*" or entity tags in double quotes, as this API sends in ETag (e.g. ${name}: "${'x'.repeat(8)}"); got ${JSON.stringify(text.slice(0, 100))}.`,
        name,
        'invalid_precondition',
      );
    // A weak comparison would do as well: the tags are of the item's whole content.
    return tags.map((t) => t.replace(/^W\//, ''));
  };
  const ifMatch = parse('if-match');
  if (ifMatch) out.ifMatch = ifMatch;
  const ifNoneMatch = parse('if-none-match');
  if (ifNoneMatch) {
    if (ifNoneMatch[0] !== '*')
      throw invalidRequest(
        'If-None-Match takes only "*" here (create only when there is no such item); to change an item only as you read it, send If-Match with its ETag.',
        'if-none-match',
        'invalid_precondition',
      );
    out.ifNoneMatchAny = true;
  }
  return out;
}

/**
 * Throws 412 `precondition_failed` when `current` (the item in the newest config, undefined when
 * there is none) does not meet the preconditions; says what it is now and what to do.
 */
export function checkPreconditions(
  p: Preconditions,
  current: unknown,
  what: string,
  path: string,
): void {
  if (p.ifNoneMatchAny && current !== undefined)
    throw failed(
      `${what} already exists (If-None-Match: *): nothing was changed. GET ${path} to see it, or send the PUT without If-None-Match to replace it.`,
      'if-none-match',
      itemTag(current),
    );
  if (!p.ifMatch) return;
  if (current === undefined)
    throw failed(
      `${what} does not exist (any more), and If-Match asks for it as you read it: nothing was changed.`,
      'if-match',
    );
  const now = itemTag(current);
  if (p.ifMatch[0] === '*' || p.ifMatch.includes(now)) return;
  throw failed(
    `${what} has changed since you read it (its ETag is now ${now}, not ${p.ifMatch.join(', ')}): nothing was changed. GET ${path} again, apply your change to what it holds now, and send it with If-Match: ${now}.`,
    'if-match',
    now,
  );
}

function failed(message: string, param: string, tag?: string): GatewayError {
  return new GatewayError({
    status: 412,
    type: 'invalid_request_error',
    code: 'precondition_failed',
    param,
    message,
    ...(tag ? { headers: { etag: tag } } : {}),
  });
}
