// A multipart/form-data body (RFC 7578) from text fields and one file: how a transcription request
// is sent upstream, its fields in the client's order and the file's bytes untouched.
import { randomBytes } from 'node:crypto';
import type { TranscriptionForm } from '../core/wire-types.js';

/** Quotes a name or file name for a Content-Disposition header (RFC 7578 §4.2: `"` and CR/LF escaped). */
const quoted = (s: string) =>
  `"${s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/** The body and its content type (with its boundary) for `form`, `model` sent as given. */
export function encodeMultipart(
  form: Pick<TranscriptionForm, 'fields' | 'file'>,
  model: string,
): { body: Buffer; contentType: string } {
  const boundary = `----model-router-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  const text = (name: string, value: string) =>
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`,
      ),
    );
  text('model', model);
  for (const [name, value] of form.fields) if (name !== 'model') text(name, value);
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename=${quoted(form.file.filename)}\r\n` +
        `Content-Type: ${form.file.contentType}\r\n\r\n`,
    ),
    form.file.data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
