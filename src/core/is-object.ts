// The one test for "a JSON object" that request and config checks share.

/** A plain JSON object: not null and not an array. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
