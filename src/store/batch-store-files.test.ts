// The BatchStore contract, files: bytes round-trip, owners apart, listing and paging, deletion and
// the expiry sweep, on every backend (test/helpers/batch-store-backends.ts).
import { expect, it } from 'vitest';
import { T0, file, forEachBackend, ids } from '../../test/helpers/batch-store-backends.js';

forEachBackend('BatchStore contract (files)', (within) => {
  it('files: metadata and bytes round-trip byte for byte (non-UTF-8, empty, 5 MB)', () =>
    within(async ({ store, replica }) => {
      const odd = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0x0a, 0xed, 0xa0, 0x80]);
      const big = Buffer.alloc(5 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
      const bigMeta = file('file-big', { bytes: big.length, expiresAt: T0 + 86_400_000 });
      await store.putFile(file('file-odd', { bytes: odd.length }), odd);
      await store.putFile(
        file('file-empty', { bytes: 0, purpose: 'batch_output' }),
        Buffer.alloc(0),
      );
      await store.putFile(bigMeta, big);
      const other = replica();
      expect(await other.getFile('file-big', 'team-a')).toStrictEqual(bigMeta);
      expect(await other.getFile('file-odd', 'team-a')).toStrictEqual(
        file('file-odd', { bytes: odd.length }),
      );
      const gotOdd = await other.getFileContent('file-odd', 'team-a');
      expect(gotOdd && Buffer.isBuffer(gotOdd)).toBe(true);
      expect(gotOdd!.equals(odd)).toBe(true);
      expect((await other.getFileContent('file-empty', 'team-a'))?.length).toBe(0);
      const gotBig = await other.getFileContent('file-big', 'team-a');
      expect(gotBig?.length).toBe(big.length);
      expect(gotBig!.equals(big)).toBe(true);
      expect(typeof (await other.getFile('file-big', 'team-a'))!.bytes).toBe('number');
      expect(await store.getFile('file-none', 'team-a')).toBeUndefined();
      expect(await store.getFileContent('file-none', 'team-a')).toBeUndefined();
    }));

  it('files: a MIME type round-trips, listed too; a file stored without one reads without one', () =>
    within(async ({ store, replica }) => {
      const pdf = file('file-pdf', { purpose: 'user_data', mimeType: 'application/pdf' });
      await store.putFile(pdf, Buffer.from('%PDF-1.4'));
      await store.putFile(file('file-plain'), Buffer.from('x'));
      const other = replica();
      expect(await other.getFile('file-pdf', 'team-a')).toStrictEqual(pdf);
      expect(await other.getFile('file-plain', 'team-a')).not.toHaveProperty('mimeType');
      const listed = await other.listFiles({
        owner: 'team-a',
        purpose: 'user_data',
        limit: 10,
        order: 'asc',
      });
      expect(listed).toStrictEqual([pdf]);
    }));

  it('files: the bytes each owner stores, summed (a storage quota reads it); a delete frees them', () =>
    within(async ({ store, replica }) => {
      await store.putFile(file('file-s1', { bytes: 1_500 }), Buffer.alloc(1_500));
      await store.putFile(file('file-s2', { bytes: 2_500 }), Buffer.alloc(2_500));
      await store.putFile(file('file-s3', { bytes: 700, owner: 'team-b' }), Buffer.alloc(700));
      const other = replica();
      expect(await other.storedBytes('team-a')).toBe(4_000);
      expect(await other.storedBytes('team-b')).toBe(700);
      expect(await other.storedBytes('team-none')).toBe(0);
      await store.deleteFile('file-s1', 'team-a');
      expect(await other.storedBytes('team-a')).toBe(2_500);
    }));

  it("files: another owner's file does not exist for it", () =>
    within(async ({ store }) => {
      await store.putFile(file('file-1'), Buffer.from('abc'));
      expect(await store.getFile('file-1', 'team-b')).toBeUndefined();
      expect(await store.getFileContent('file-1', 'team-b')).toBeUndefined();
      expect(await store.deleteFile('file-1', 'team-b')).toBe(false);
      expect(await store.listFiles({ owner: 'team-b', limit: 10, order: 'asc' })).toEqual([]);
      expect(
        await store.listFiles({ owner: 'team-b', after: 'file-1', limit: 10, order: 'asc' }),
      ).toEqual([]);
      expect((await store.getFileContent('file-1', 'team-a'))?.toString()).toBe('abc');
    }));

  it('files: listed by creation time then id, either way, paged with after, limit and purpose', () =>
    within(async ({ store }) => {
      // Ids out of creation order; two pairs share a creation time (the id breaks the tie).
      const list = [
        file('file-c', { createdAt: T0 + 1 }),
        file('file-a', { createdAt: T0 + 2 }),
        file('file-B', { createdAt: T0 + 2, purpose: 'batch_output' }),
        file('file-d', { createdAt: T0 + 3, expiresAt: T0 + 9 }),
        file('file-b', { createdAt: T0 }),
        file('file-x', { createdAt: T0 + 1, owner: 'team-b' }),
      ];
      for (const f of list) await store.putFile(f, Buffer.from(f.id));
      const asc = ['file-b', 'file-c', 'file-B', 'file-a', 'file-d'];
      const all = await store.listFiles({ owner: 'team-a', limit: 100, order: 'asc' });
      expect(ids(all)).toEqual(asc);
      // Listing returns the metadata only, exactly as stored.
      expect(all[4]).toStrictEqual(list[3]);
      expect(all.every((f) => !('content' in f))).toBe(true);
      const desc = await store.listFiles({ owner: 'team-a', limit: 100, order: 'desc' });
      expect(ids(desc)).toEqual([...asc].reverse());
      const page = (after: string | undefined, order: 'asc' | 'desc', limit = 2) =>
        store.listFiles({ owner: 'team-a', limit, order, ...(after ? { after } : {}) }).then(ids);
      expect(await page(undefined, 'asc')).toEqual(['file-b', 'file-c']);
      expect(await page('file-c', 'asc')).toEqual(['file-B', 'file-a']);
      expect(await page('file-a', 'asc')).toEqual(['file-d']);
      expect(await page('file-d', 'asc')).toEqual([]);
      expect(await page('file-a', 'desc')).toEqual(['file-B', 'file-c']);
      expect(await page('file-B', 'desc', 10)).toEqual(['file-c', 'file-b']);
      expect(await page('file-unknown', 'asc')).toEqual([]);
      expect(await page('file-x', 'asc')).toEqual([]);
      const outputs = await store.listFiles({
        owner: 'team-a',
        purpose: 'batch_output',
        limit: 10,
        order: 'asc',
      });
      expect(ids(outputs)).toEqual(['file-B']);
      const uploads = await store.listFiles({
        owner: 'team-a',
        purpose: 'batch',
        after: 'file-c',
        limit: 10,
        order: 'asc',
      });
      expect(ids(uploads)).toEqual(['file-a', 'file-d']);
    }));

  it('files: delete, and the sweep of expired files (at or before now)', () =>
    within(async ({ store }) => {
      await store.putFile(file('file-1', { expiresAt: T0 + 10 }), Buffer.from('1'));
      await store.putFile(file('file-2', { expiresAt: T0 + 20 }), Buffer.from('2'));
      await store.putFile(
        file('file-3', { expiresAt: T0 + 21, owner: 'team-b' }),
        Buffer.from('3'),
      );
      await store.putFile(file('file-4'), Buffer.from('4'));
      expect(await store.deleteFile('file-4', 'team-a')).toBe(true);
      expect(await store.deleteFile('file-4', 'team-a')).toBe(false);
      expect(await store.getFile('file-4', 'team-a')).toBeUndefined();
      expect(await store.getFileContent('file-4', 'team-a')).toBeUndefined();
      expect(await store.deleteExpiredFiles(T0 + 9)).toBe(0);
      expect(await store.deleteExpiredFiles(T0 + 20)).toBe(2);
      expect(await store.getFile('file-2', 'team-a')).toBeUndefined();
      expect(await store.getFile('file-3', 'team-b')).toBeDefined();
      expect(await store.deleteExpiredFiles(Number.MAX_SAFE_INTEGER)).toBe(1);
    }));
});
