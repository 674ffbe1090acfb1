// A multipart form's bytes for `app.inject`, made by the platform's FormData as the openai SDK
// sends one.

/** `fields` as a multipart form (a Blob as a file named `file`): its body and content type. */
export async function multipart(fields: Record<string, string | Blob>, file: string) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields))
    if (typeof v === 'string') form.set(k, v);
    else form.set(k, v, file);
  const req = new Request('http://router.test', { method: 'POST', body: form });
  return {
    headers: { 'content-type': req.headers.get('content-type')! },
    payload: Buffer.from(await req.arrayBuffer()),
  };
}

/** One part of a form built byte by byte: a text field, or a file when it has a file name. */
export interface RawPart {
  name: string;
  value: Buffer | string;
  filename?: string;
  /** The part's own Content-Type header, e.g. `text/plain; charset=utf-8` as .NET sends it. */
  contentType?: string;
}

/**
 * `parts` as a multipart form whose field values are the given bytes, which the platform's
 * FormData cannot send (it writes every string as UTF-8): its body and content type.
 */
export function rawMultipart(parts: readonly RawPart[]) {
  const boundary = '----test-form-7MA4YWxkTrZu0gW';
  const out: Buffer[] = [];
  for (const p of parts) {
    const file = p.filename !== undefined ? `; filename="${p.filename}"` : '';
    const type = p.contentType ? `\r\nContent-Type: ${p.contentType}` : '';
    out.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}${type}\r\n\r\n`,
      ),
      Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value),
      Buffer.from('\r\n'),
    );
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(out),
  };
}
