// Pages of a list with rows left out stay full, and `before` pages read back toward the start.
import { describe, expect, it } from 'vitest';
import { filteredPage, filteredPageBefore, type ReadPage } from './filtered-page.js';

/** A store's list of 250 rows (r0 … r249), read by id cursor as the stores do; counts its reads. */
function list() {
  const rows = Array.from({ length: 250 }, (_, i) => ({ id: `r${i}`, n: i }));
  const reads: number[] = [];
  const read: ReadPage<(typeof rows)[number]> = async (after, n) => {
    reads.push(n);
    const from = after === undefined ? 0 : rows.findIndex((r) => r.id === after) + 1;
    return after !== undefined && from === 0 ? [] : rows.slice(from, from + n);
  };
  return { read, reads };
}
const even = (r: { n: number }) => r.n % 2 === 0;
const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

describe('filteredPage', () => {
  it('reads on past left-out rows until the page is full', async () => {
    const { read, reads } = list();
    const page = await filteredPage(read, (r) => r.n >= 180, undefined, 3);
    expect(ids(page)).toEqual(['r180', 'r181', 'r182']);
    expect(reads).toEqual([100, 100]);
  });

  it('continues after a cursor and stops at the end of the list', async () => {
    const { read } = list();
    expect(ids(await filteredPage(read, even, 'r243', 10))).toEqual(['r244', 'r246', 'r248']);
    expect(await filteredPage(read, even, 'nope', 10)).toEqual([]);
  });
});

describe('filteredPageBefore', () => {
  it('gives the kept rows just before the cursor, and whether more come before them', async () => {
    const { read } = list();
    expect(await filteredPageBefore(read, even, 'r207', 2)).toEqual({
      rows: [expect.objectContaining({ id: 'r204' }), expect.objectContaining({ id: 'r206' })],
      more: true,
    });
    const start = await filteredPageBefore(read, even, 'r3', 5);
    expect([ids(start.rows), start.more]).toEqual([['r0', 'r2'], false]);
  });

  it('is empty when the cursor is not in the list', async () => {
    const { read } = list();
    expect(await filteredPageBefore(read, even, 'nope', 5)).toEqual({ rows: [], more: false });
  });
});
