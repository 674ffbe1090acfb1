// OpenAI's list envelope for cursor-paged lists (Files, Batches): `{object: 'list', data, first_id,
// last_id, has_more}` from a page read one row past the limit.

/** The envelope for `rows` (up to `limit + 1` read: one more means `has_more`), each as `show`. */
export function openAiList<T>(
  rows: readonly T[],
  limit: number,
  show: (row: T) => Record<string, unknown>,
): Record<string, unknown> {
  const data = rows.slice(0, limit).map(show);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: rows.length > limit,
  };
}
