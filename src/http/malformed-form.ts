// Whether an error raised while reading a multipart body is the form's own fault: the multipart
// plugin's `FST_` errors, and its parser's (busboy) for a body cut off before its closing boundary
// (a client timeout, a proxy) or a content type with no boundary, which carry no code. A 400 for
// the client, not a 500 that its SDK would retry with the same bytes.

const PARSER_MESSAGES = [
  /^Multipart: Boundary not found$/,
  /^Boundary required$/,
  /^Unexpected end of multipart data$/,
  /terminated early due to unexpected end of multipart data$/,
];

export function isMalformedForm(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('FST_')) return true;
  const message = err instanceof Error ? err.message : '';
  return PARSER_MESSAGES.some((m) => m.test(message));
}
