// How a 400 quotes the wrong value a client sent.

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
