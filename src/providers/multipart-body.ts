// A multipart/form-data body (RFC 7578) from text fields and files: how a transcription or an image
// edit is sent upstream, its parts in the client's order and the files' bytes untouched.
import { randomBytes } from 'node:crypto';
import type { FormPart, TranscriptionForm } from '../core/wire-types.js';

/** Quotes a name or file name for a Content-Disposition header (RFC 7578 §4.2: `"` and CR/LF escaped). */
const quoted = (s: string) =>
  `"${s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/**
 * The body and its content type (with its boundary) for `parts`, in their order, with `model` as
 * the value of the `model` field (where the client put it; first when it sent none). Any part
 * named `model` after the first is left out.
 */
export function encodeFormParts(
  parts: readonly FormPart[],
  model: string,
): { body: Buffer; contentType: string } {
  const boundary = `----model-router-${randomBytes(12).toString('hex')}`;
  const out: Buffer[] = [];
  const text = (name: string, value: string) =>
    out.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`,
      ),
    );
  let modelSent = false;
  if (!parts.some((p) => p.name === 'model' && 'value' in p)) {
    text('model', model);
    modelSent = true;
  }
  for (const part of parts) {
    if ('value' in part) {
      if (part.name !== 'model') text(part.name, part.value);
      else if (!modelSent) {
        text('model', model);
        modelSent = true;
      }
      continue;
    }
    out.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}; filename=${quoted(part.file.filename)}\r\n` +
          `Content-Type: ${part.file.contentType}\r\n\r\n`,
      ),
      part.file.data,
      Buffer.from('\r\n'),
    );
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(out), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A transcription form's body: `model` first, then its fields, then its file. */
export function encodeMultipart(
  form: Pick<TranscriptionForm, 'fields' | 'file'>,
  model: string,
): { body: Buffer; contentType: string } {
  const parts: FormPart[] = [{ name: 'model', value: model }];
  for (const [name, value] of form.fields) if (name !== 'model') parts.push({ name, value });
  parts.push({ name: 'file', file: form.file });
  return encodeFormParts(parts, model);
}
