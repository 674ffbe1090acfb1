// How a 400 quotes the wrong value, or the name, a client sent.

/**
 * A wrong value as a 400 quotes it: its JSON, cut to 40 characters. A number past what a double
 * holds (JSON's `1e400`) was read as infinite, which JSON would write as `null`: said as such.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'NaN' : `a ${v < 0 ? 'negative ' : ''}number too large to represent`;
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}

/** A name the client sent, cut at 120 characters, so a 70,000-character one is not echoed whole. */
export function cutName(name: string): string {
  return name.length > 120 ? `${name.slice(0, 120)}…` : name;
}

/** A name the client sent, quoted for a message: JSON-escaped (a control character as its escape), cut. */
export function quoteName(name: string): string {
  return JSON.stringify(cutName(name));
}
