// A page of a store's list with some rows left out, read through the store's own id cursor. The
// tenant's files and batches are shared by two APIs (OpenAI's Files and Batch APIs, Anthropic's
// Message Batches) and each shows only its own: filtering after one read would make pages short
// and `has_more` wrong, so these read on until the page is full or the list ends.

/** One read of the list: `n` rows after the row `after` (from the start when undefined). */
export type ReadPage<T> = (after: string | undefined, n: number) => Promise<T[]>;

/** Rows read per store call, at least. */
const CHUNK = 100;

/** Up to `want` rows that pass `keep`, in the list's order, after the row `after`. */
export async function filteredPage<T extends { id: string }>(
  read: ReadPage<T>,
  keep: (row: T) => boolean,
  after: string | undefined,
  want: number,
): Promise<T[]> {
  const kept: T[] = [];
  const n = Math.max(want, CHUNK);
  let cursor = after;
  for (;;) {
    const rows = await read(cursor, n);
    for (const row of rows) {
      if (!keep(row)) continue;
      kept.push(row);
      if (kept.length >= want) return kept;
    }
    if (rows.length < n) return kept;
    cursor = rows.at(-1)!.id;
  }
}

/**
 * The `want` rows that pass `keep` just before the row `before`, in the list's order, and whether
 * more come before them (`more`). Reads from the start of the list up to `before` (a list read
 * backwards is the rare case: a client paging back toward the newest). Empty when `before` is not
 * in the list.
 */
export async function filteredPageBefore<T extends { id: string }>(
  read: ReadPage<T>,
  keep: (row: T) => boolean,
  before: string,
  want: number,
): Promise<{ rows: T[]; more: boolean }> {
  const window: T[] = [];
  const n = Math.max(want, CHUNK);
  let cursor: string | undefined;
  for (;;) {
    const rows = await read(cursor, n);
    for (const row of rows) {
      if (row.id === before) return { rows: window.slice(-want), more: window.length > want };
      if (!keep(row)) continue;
      window.push(row);
      if (window.length > want + 1) window.shift();
    }
    if (rows.length < n) return { rows: [], more: false };
    cursor = rows.at(-1)!.id;
  }
}
