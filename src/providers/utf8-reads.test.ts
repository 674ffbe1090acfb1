import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Reads } from './utf8-reads.js';

/** The reads' text as Utf8Reads gives it, the reads cut from `bytes` at `cuts`. */
function decodeInReads(bytes: Uint8Array, cuts: number[]): string {
  const reads = new Utf8Reads();
  let text = '';
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    text += reads.decode(bytes.subarray(from, cut));
    from = cut;
  }
  return text + reads.end();
}

const whole = (bytes: Uint8Array) => new TextDecoder('utf-8').decode(bytes);

// Two-, three- and four-byte characters, a BOM, and bytes that are not UTF-8: a lone
// continuation byte, a character cut short before another, an overlong form, a surrogate, a
// code point past U+10FFFF, 0xFF, and a character cut short at the very end.
const SAMPLES: [string, number[]][] = [
  ['text', [...new TextEncoder().encode('\uFEFFdata: Olá 🌍 €\n\n')]],
  [
    'bad bytes',
    [
      0x61, 0x80, 0xe2, 0x82, 0x62, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xff,
      0xf0, 0x9f, 0x8c,
    ],
  ],
  ['two BOMs', [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x41]],
  ['a cut BOM', [0xef, 0xbb, 0x41]],
];

describe('Utf8Reads', () => {
  for (const [name, list] of SAMPLES) {
    const bytes = Uint8Array.from(list);
    it(`decodes ${name} as TextDecoder decodes it whole, with the reads cut at every offset`, () => {
      for (let i = 0; i <= bytes.length; i++)
        expect(decodeInReads(bytes, [i]), `cut at ${i}`).toBe(whole(bytes));
      const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
      expect(decodeInReads(bytes, everyByte)).toBe(whole(bytes));
    });
  }

  it('decodes any bytes, cut anywhere, as TextDecoder decodes them whole', () => {
    const utf8ish = fc.oneof(
      fc.integer({ min: 0, max: 0xff }),
      fc.constantFrom(0x80, 0xbf, 0xc2, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xbb),
    );
    fc.assert(
      fc.property(
        fc.array(utf8ish, { maxLength: 40 }),
        fc.array(fc.nat(40), { maxLength: 6 }),
        (list, rawCuts) => {
          const bytes = Uint8Array.from(list);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          expect(decodeInReads(bytes, cuts)).toBe(whole(bytes));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads Buffers and views into a larger buffer alike', () => {
    const backing = new TextEncoder().encode('xxOlá🌍yy');
    const view = backing.subarray(2, backing.length - 2);
    expect(decodeInReads(view, [3, 5])).toBe('Olá🌍');
    expect(decodeInReads(Buffer.from(view), [4])).toBe('Olá🌍');
  });
});
