// A multipart text field as the router reads it: whole, or refused. busboy stops a field at the
// parser's `fieldSize` and marks it truncated; a cut prompt would be sent on as if the client had
// written it, so a field past the limit is a 400 in OpenAI's words (its `string_above_max_length`).
import type { MultipartValue } from '@fastify/multipart';
import { describeValue } from '../../core/describe-value.js';
import { invalidRequest } from '../../core/errors.js';

/** The most one text field of an image edit or audio form may hold (busboy's `fieldSize`). */
export const MAX_FORM_FIELD_BYTES = 128 * 1024;

/** The field's value, whole; a 400 naming the field and the limit when the parser cut it. */
export function formFieldValue(part: MultipartValue, maxBytes: number): string {
  if (part.valueTruncated)
    throw invalidRequest(
      `Invalid '${part.fieldname}': string too long. Expected a string with maximum length ${maxBytes} bytes (${maxBytes / 1024} KB) in a multipart form field; send a shorter one.`,
      part.fieldname,
      'string_above_max_length',
    );
  return String(part.value);
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
