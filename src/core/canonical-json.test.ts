import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts object keys at every depth and keeps array order', () => {
    expect(canonicalJson({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
    expect(canonicalJson({ b: 2, a: 1 })).toBe(canonicalJson({ a: 1, b: 2 }));
    expect(canonicalJson({ z: [{ y: 1, x: [3, 1] }], a: { d: null, c: 'é"' } })).toBe(
      '{"a":{"c":"é\\"","d":null},"z":[{"x":[3,1],"y":1}]}',
    );
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });

  it('reads back as the same value, and writes what JSON.stringify writes for sorted input', () => {
    const samples: unknown[] = [
      'text',
      0,
      1e21,
      -1.5e-7,
      true,
      null,
      [],
      {},
      { messages: [{ role: 'user', content: 'hi\n\u2028' }], temperature: 0.7, n: 2 },
      [[1, [2, [3]]], { '': 1, ' ': 2 }],
    ];
    for (const v of samples) {
      expect(JSON.parse(canonicalJson(v))).toEqual(v);
      expect(canonicalJson(JSON.parse(canonicalJson(v)))).toBe(canonicalJson(v));
    }
    expect(canonicalJson(-0)).toBe(JSON.stringify(-0));
    expect(canonicalJson({ a: [1, 'x'], b: { c: true } })).toBe(
      JSON.stringify({ a: [1, 'x'], b: { c: true } }),
    );
  });

  it('leaves out or nulls what JSON cannot hold, as JSON.stringify does', () => {
    expect(canonicalJson({ b: undefined, a: () => 1, c: NaN })).toBe('{"c":null}');
    expect(canonicalJson([undefined, Infinity])).toBe('[null,null]');
    expect(canonicalJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});
