// What a file that should be UTF-8 text is instead, told from its first bytes: gzip, or UTF-16
// with or without a byte-order mark. Read as UTF-8 these fail far from the cause ("not valid
// JSON" on line 1, or "not UTF-8 text" with no way out), so the training data loader and the
// Batch API's input check say which it is and how to convert it.

/**
 * Whether `bytes` look like UTF-16 text without a byte-order mark: a JSON Lines file in UTF-8
 * has no NUL byte, while ASCII text in UTF-16 has one in every other byte (the first of each pair
 * big-endian, the second little-endian). Judged on the first 1,000 bytes.
 */
export function utf16WithoutMark(bytes: Buffer): 'little-endian' | 'big-endian' | undefined {
  const n = Math.min(bytes.length, 1000) & ~1;
  if (n < 2) return undefined;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const pairs = n / 2;
  if (odd >= 0.4 * pairs && even < 0.1 * pairs) return 'little-endian';
  if (even >= 0.4 * pairs && odd < 0.1 * pairs) return 'big-endian';
  return undefined;
}

/** A file that is not UTF-8 text: what it is, and the `iconv -f` name of a UTF-16 one. */
export type EncodedText =
  | { kind: 'gzip' }
  | { kind: 'utf-16'; marked: true }
  | { kind: 'utf-16'; marked: false; order: 'little-endian' | 'big-endian'; iconv: string };

/** What `bytes` are when they are gzip or UTF-16 (with a mark, or without: `utf16WithoutMark`). */
export function sniffEncodedText(bytes: Buffer): EncodedText | undefined {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { kind: 'gzip' };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return { kind: 'utf-16', marked: true };
  const order = utf16WithoutMark(bytes);
  if (order)
    return {
      kind: 'utf-16',
      marked: false,
      order,
      iconv: order === 'little-endian' ? 'UTF-16LE' : 'UTF-16BE',
    };
  return undefined;
}
