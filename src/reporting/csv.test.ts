import { describe, expect, it } from 'vitest';
import { csvField, csvLine } from './csv.js';

describe('csv', () => {
  it('quotes what needs quoting, leaves the rest, and writes nothing for none', () => {
    expect(csvLine(['plain', 'a,b', 'say "hi"', 'two\nlines', 1.5, null, undefined])).toBe(
      'plain,"a,b","say ""hi""","two\nlines",1.5,,',
    );
  });

  it('keeps text that starts like a formula from being one (CSV injection)', () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    for (const s of ['+1', '-2', '@cmd', '\tx']) expect(csvField(s)).toBe(`'${s}`);
    // Numbers are numbers, negative ones too.
    expect(csvField(-2)).toBe('-2');
  });
});
