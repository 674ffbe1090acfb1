// The free text of an API key (its tenant, and the names in its scopes and modelSubset), checked
// where a key comes in: the config file and `POST /admin/v1/keys`. A tenant is stored with every
// request record and budget, so it is printable, well-formed text of bounded length: a NUL cannot
// be stored by PostgreSQL, a lone surrogate by any UTF-8 store, and 70,000 characters of tenant
// were accepted before (admin audit, 2026-12-07).
import { z } from 'zod';
import { characterNumber, codeUnitName } from '../core/char-count.js';

/** The longest tenant, in characters (code points). */
export const TENANT_MAX_LENGTH = 128;
/** The longest scope or modelSubset entry, in characters: a router, pool or deployment name. */
export const KEY_NAME_MAX_LENGTH = 256;

// C0 and C1 control characters and DEL (Unicode's Cc): no tenant or name holds one on purpose.
const CONTROL = /\p{Cc}/u;
// Half of a UTF-16 pair without its other half (JSON can carry one as "\ud800").
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with `text` as printable text of at most `max` characters, if anything. */
export function printableTextProblem(text: string, max: number): string | undefined {
  const length = [...text].length;
  if (length > max) return `at most ${max} characters (got ${length})`;
  const at = (index: number) => characterNumber(text, index);
  const codePoint = (index: number) => codeUnitName(text.charCodeAt(index));
  const control = CONTROL.exec(text);
  if (control)
    return `a control character (${codePoint(control.index)}) at ${at(control.index)}; printable text only`;
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate)
    return `a lone surrogate (${codePoint(surrogate.index)}) at ${at(surrogate.index)}, half of a character that UTF-8 cannot store; send whole characters`;
  if (/^\s|\s$/.test(text))
    return 'white space at its start or end; remove it (" a" and "a" would be told apart)';
  return undefined;
}

/**
 * A non-empty string of printable text, at most `max` characters. The JSON Schema gets the
 * length (editors flag it); the characters are the description's to say (a pattern over control
 * characters would read to an editor's user as a regex, not a fix).
 */
function printableText(max: number) {
  return z
    .string()
    .min(1)
    .check((ctx) => {
      const problem = printableTextProblem(ctx.value, max);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    })
    .meta({ maxLength: max });
}

export const tenantSchema = printableText(TENANT_MAX_LENGTH);
export const keyNameSchema = printableText(KEY_NAME_MAX_LENGTH);
