// What to fix, in words, for each kind of zod issue: zod's own wording ("Invalid input: expected
// number, received undefined", "Too small: expected number to be >0") names types and operators,
// not the fix. Passed as the per-parse error map, so a schema's own message (say a regex's) still
// wins; the path is added by formatZodIssues.
import type { z } from 'zod';

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
  tuple: 'a list',
  null: 'null',
  date: 'a date',
};

const FORMAT_NAMES: Record<string, string> = {
  datetime: 'an ISO 8601 date-time such as 2026-11-01T12:00:00Z',
  date: 'an ISO 8601 date such as 2026-11-01',
  url: 'a URL such as https://example.com/v1',
  email: 'an email address',
  uuid: 'a UUID',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 range such as 10.0.0.0/8',
  cidrv6: 'an IPv6 range such as 2001:db8::/32',
};

/** A value as the user wrote it, cut short: `"cheap"`, `12`, `a list`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** "at least 1", "greater than 0", "exactly 3"; with a unit for sizes ("3 characters"). */
function bound(
  kind: 'small' | 'big',
  limit: number | bigint,
  inclusive: boolean | undefined,
  exact: boolean | undefined,
  unit: string,
): string {
  const n = `${String(limit)}${unit}`;
  if (exact) return `exactly ${n}`;
  if (kind === 'small') return inclusive ? `at least ${n}` : `greater than ${n}`;
  return inclusive ? `at most ${n}` : `less than ${n}`;
}

function sizeUnit(origin: string, limit: number | bigint): string {
  const one = Number(limit) === 1;
  if (origin === 'string') return one ? ' character' : ' characters';
  if (origin === 'array' || origin === 'set') return one ? ' item' : ' items';
  if (origin === 'file') return ' bytes';
  return '';
}

/** Edit distance, for a "did you mean" on a misspelt key (names are short: O(n·m) is fine). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(
        up + 1,
        row[j - 1]! + 1,
        diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The known key closest to `key` (case-insensitive, at most a third of it wrong), if any. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** The keys an object schema knows (the issue's `inst`), to suggest a spelling. */
function knownKeys(issue: RawIssue): string[] {
  const def = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)
    ?._zod?.def;
  return def?.shape ? Object.keys(def.shape) : [];
}

/** zod error map: the fix in words for the common issue codes; others keep zod's message. */
export function zodIssueMessage(issue: RawIssue): string | undefined {
  const got = 'input' in issue ? issue.input : undefined;
  switch (issue.code) {
    case 'invalid_type':
      if (got === undefined) return `missing: this key is required (${typeName(issue.expected)})`;
      return `must be ${typeName(issue.expected)}, not ${describeValue(got)}`;
    case 'too_small': {
      const unit = sizeUnit(issue.origin, issue.minimum);
      if (unit && Number(issue.minimum) === 1 && issue.inclusive && !issue.exact)
        return issue.origin === 'string' ? 'must not be empty' : 'must list at least one item';
      const what = unit ? 'must have' : 'must be';
      const shown = unit ? '' : ` (got ${describeValue(got)})`;
      return `${what} ${bound('small', issue.minimum, issue.inclusive, issue.exact, unit)}${shown}`;
    }
    case 'too_big': {
      const unit = sizeUnit(issue.origin, issue.maximum);
      const what = unit ? 'must have' : 'must be';
      const shown = unit ? '' : ` (got ${describeValue(got)})`;
      return `${what} ${bound('big', issue.maximum, issue.inclusive, issue.exact, unit)}${shown}`;
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      if (values.length === 1) return `must be ${values[0]} (got ${describeValue(got)})`;
      return `must be one of ${values.join(', ')} (got ${describeValue(got)})`;
    }
    case 'invalid_union': {
      const options = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator && Array.isArray(options) && options.length)
        return `${issue.discriminator} must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
      return undefined;
    }
    case 'invalid_format':
      if (issue.format === 'regex') return undefined; // the schema says what the pattern means
      if (FORMAT_NAMES[issue.format])
        return `must be ${FORMAT_NAMES[issue.format]} (got ${describeValue(got)})`;
      return undefined;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor} (got ${describeValue(got)})`;
    case 'unrecognized_keys': {
      const known = knownKeys(issue);
      const hints = issue.keys
        .map((k) => [k, closestKey(k, known)] as const)
        .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
        .map(([k, near]) =>
          issue.keys.length > 1 ? `"${k}": did you mean "${near}"?` : `did you mean "${near}"?`,
        );
      const tail = 'check the spelling; docs/configuration.md lists every key';
      return hints.length ? `${hints.join('; ')} (${tail})` : `(${tail})`;
    }
    default:
      return undefined;
  }
}
