// A multipart text field as the router reads it: whole and as written, or refused. busboy stops a
// field at the parser's `fieldSize` and marks it truncated; a cut prompt would be sent on as if the
// client had written it, so a field past the limit is a 400 in OpenAI's words (its
// `string_above_max_length`). busboy decodes a field by the charset its part declares (UTF-8 when
// it declares none) and turns bytes that are no character into U+FFFD: such a field is a 400 too,
// as JSON bodies that are not UTF-8 are (notUtf8Body), not a changed prompt sent on with a 200.
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { characterNumber, codeUnitName } from '../../core/char-count.js';
import { describeValue } from '../../core/describe-value.js';
import { type GatewayError, invalidRequest } from '../../core/errors.js';

/** The most one text field of an image edit or audio form may hold (busboy's `fieldSize`). */
export const MAX_FORM_FIELD_BYTES = 128 * 1024;

/**
 * The field's value, whole and as sent; a 400 naming the field and the limit when the parser cut
 * it, or naming the field and the character where its text is not UTF-8 (notUtf8Field).
 */
export function formFieldValue(part: MultipartValue, maxBytes: number): string {
  if (part.valueTruncated)
    throw invalidRequest(
      `Invalid '${part.fieldname}': string too long. Expected a string with maximum length ${maxBytes} bytes (${maxBytes / 1024} KB) in a multipart form field; send a shorter one.`,
      part.fieldname,
      'string_above_max_length',
    );
  const value = String(part.value);
  const at = value.indexOf(REPLACEMENT);
  if (at >= 0) throw notUtf8Field(part.fieldname, value, at);
  return value;
}

/** What busboy's decoder (Node's `utf8Slice`) puts where bytes spell no UTF-8 character. */
const REPLACEMENT = '\uFFFD';

/**
 * The 400 for a text field with a U+FFFD at `at`. The parser has already decoded the bytes, so a
 * U+FFFD the client sent as UTF-8 (EF BF BD) looks the same as one the decoder put for bytes that
 * are not UTF-8; both are refused, and the message says so. Not `defCharset: 'latin1'` and a
 * fatal TextDecoder over the bytes: busboy decodes a part by the charset it declares, which
 * @fastify/multipart does not pass on, so a `charset=utf-8` part holding "café" (as .NET's
 * StringContent sends) and an undeclared one holding Latin-1 "café" would both read "café".
 */
function notUtf8Field(field: string, value: string, at: number): GatewayError {
  const character = characterNumber(value, at);
  return invalidRequest(
    `Invalid '${field}': the multipart field is not valid UTF-8: character ${character} is U+FFFD, which the form's parser puts for bytes that are no UTF-8 character (and which a client's encoder writes for a lone surrogate, such as half an emoji). Send the field's text encoded as UTF-8 (text in Latin-1 or Windows-1252 converts with iconv -f WINDOWS-1252 -t UTF-8); a U+FFFD meant as part of the text cannot be told apart and is refused too.`,
    field,
    'invalid_value',
  );
}

/** The longest file name an upload may have, in bytes of UTF-8: what most file systems keep. */
export const MAX_FILENAME_BYTES = 255;

/**
 * A file part's name, whole and as sent, or `fallback` when it has none. A name past
 * MAX_FILENAME_BYTES is a 400 (OpenAI's specs give no limit; 255 bytes is ext4's, NTFS's and
 * APFS's), as is one with a control character, or whose bytes are no UTF-8: busboy decodes a
 * name as UTF-8 (a `filename*` by the charset it names) and puts U+FFFD for such bytes, so the
 * name kept and shown back would not be the one sent. Checked before the file is read.
 */
export function uploadFilename(part: MultipartFile, fallback: string): string {
  const name = part.filename;
  if (!name) return fallback;
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_FILENAME_BYTES)
    throw invalidRequest(
      `Invalid '${part.fieldname}': the file name is ${bytes} bytes long in UTF-8; at most ${MAX_FILENAME_BYTES} bytes (as most file systems keep). Send the file under a shorter name.`,
      part.fieldname,
      'string_above_max_length',
    );
  // A NUL cannot be stored by PostgreSQL's text; no control character is part of a name.
  const control = /\p{Cc}/u.exec(name);
  if (control)
    throw invalidRequest(
      `Invalid '${part.fieldname}': the file name holds a control character (${codeUnitName(name.charCodeAt(control.index))}) at character ${characterNumber(name, control.index)}; send a name of printable characters.`,
      part.fieldname,
      'invalid_value',
    );
  const at = name.indexOf(REPLACEMENT);
  if (at >= 0)
    throw invalidRequest(
      `Invalid '${part.fieldname}': the file name is not valid UTF-8: character ${characterNumber(name, at)} is U+FFFD, which the form's parser puts for bytes that are no UTF-8 character. Send the name in UTF-8 (as the OpenAI SDKs, curl on Linux and macOS and browsers do), or as RFC 5987's filename*=UTF-8''<percent-encoded name>; a U+FFFD meant as part of the name cannot be told apart and is refused too.`,
      part.fieldname,
      'invalid_value',
    );
  return name;
}

/**
 * A field that is a boolean in the API's JSON (`stream`) is "true" or "false" in a form, as the
 * SDKs write it; any other text ("1", "True") is a 400 naming the field, not passed on unread.
 */
export function checkFormBoolean(value: string | undefined, field: string): void {
  if (value !== undefined && value !== 'true' && value !== 'false')
    throw invalidRequest(
      `${field} must be "true" or "false" in a multipart form; got ${describeValue(value)}.`,
      field,
      'invalid_value',
    );
}
