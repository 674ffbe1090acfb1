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

/** How long a form whose body has all arrived may go without its next part before it is refused. */
export const FORM_STALL_MS = 2_000;

/** Raised when the multipart parser stops yielding parts of a body that has all arrived. */
export class StalledForm extends Error {
  readonly code = 'FST_FORM_STALLED';
  constructor() {
    super(
      "a part's headers could not be read (a file name with a line break in it, say), and the parser stopped there",
    );
  }
}

/**
 * The form's parts, as `request.parts()` yields them, but a wait for the next part that goes on
 * though the whole body has arrived (`raw.complete`) ends after `stallMs` with a StalledForm (an
 * `FST_` error: isMalformedForm). busboy, under @fastify/multipart, stops without an error or an
 * end on a part whose RFC 5987 `filename*` holds a line break; the request then hung for good,
 * holding its connection and answering nothing (media audit F7, 2026-12-06). A client still
 * sending its body is not timed here (`server.requestTimeoutSeconds` is).
 */
export async function* formParts<T>(
  parts: AsyncIterable<T>,
  raw: { readonly complete: boolean },
  stallMs = FORM_STALL_MS,
): AsyncGenerator<T> {
  const it = parts[Symbol.asyncIterator]();
  for (;;) {
    const next = await withinStall(it.next(), raw, stallMs);
    if (next.done) return;
    yield next.value;
  }
}

function withinStall<T>(
  pending: Promise<T>,
  raw: { readonly complete: boolean },
  stallMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const step = Math.min(250, stallMs);
    let idle = 0;
    const timer = setInterval(() => {
      idle = raw.complete ? idle + step : 0;
      if (idle < stallMs) return;
      clearInterval(timer);
      reject(new StalledForm());
    }, step);
    pending.then(
      (v) => (clearInterval(timer), resolve(v)),
      (e: unknown) => (clearInterval(timer), reject(e)),
    );
  });
}
