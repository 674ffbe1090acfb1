// The scanner agrees with JSON.parse on what is JSON, and on where Node names a position.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonError } from './locate-json-error.js';

/** JSON.parse's own position, where Node 20's message names one. */
function nodePosition(text: string): number | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const m = /at position (\d+)/.exec((err as Error).message);
    return m ? Number(m[1]) : -1;
  }
}

describe('locateJsonError', () => {
  it('names the offset, line and column of the first mistake', () => {
    expect(locateJsonError('{"a": [1, 2,, 3]}')).toEqual({
      offset: 12,
      line: 1,
      column: 13,
      found: ',',
    });
    expect(locateJsonError('{\n  "model": "x",\n  "messages": [\n}')).toMatchObject({
      line: 4,
      column: 1,
      found: '}',
    });
    expect(locateJsonError('{"model": "x", "messages": [')).toMatchObject({
      offset: 28,
      found: undefined,
    });
    expect(locateJsonError("{'model': 1}")).toMatchObject({ offset: 1, found: "'" });
    expect(locateJsonError('{"a": tru}')).toMatchObject({ offset: 9, found: '}' });
    expect(locateJsonError('{"a": "x\ty"}')).toMatchObject({ offset: 8, found: '\t' });
    expect(locateJsonError('{"a": 01}')).toMatchObject({ offset: 7, found: '1' });
    expect(locateJsonError('{"a": 1,}')).toMatchObject({ offset: 8, found: '}' });
    expect(locateJsonError('{"a": "\\x"}')).toMatchObject({ offset: 8, found: 'x' });
    expect(locateJsonError('')).toMatchObject({ offset: 0, found: undefined });
    expect(locateJsonError('{} {}')).toMatchObject({ offset: 3, found: '{' });
  });

  it('finds nothing in valid JSON, a byte order mark included', () => {
    for (const text of [
      '{}',
      ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"b": []}] ',
      '\uFEFF{"a":1}',
    ])
      expect(locateJsonError(text), text).toBeUndefined();
  });

  it('survives nesting deeper than the call stack', () => {
    expect(locateJsonError('['.repeat(500_000))).toMatchObject({ offset: 500_000 });
  });

  it('agrees with JSON.parse on random and damaged JSON', () => {
    const damaged = fc
      .tuple(
        fc.json(),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '\n', '\\', '0'),
      )
      .map(([json, at, insert]) => {
        const i = at % (json.length + 1);
        return json.slice(0, i) + insert + json.slice(i + (insert ? 0 : 1));
      });
    fc.assert(
      fc.property(fc.oneof(fc.json(), damaged, fc.string()), (text) => {
        const node = nodePosition(text);
        const place = locateJsonError(text);
        if (node === undefined) expect(place).toBeUndefined();
        else {
          expect(place).toBeDefined();
          if (node >= 0) expect(place!.offset).toBe(node);
        }
      }),
      { numRuns: 3000, seed: 11 },
    );
  });
});
