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
