// The simulated fleet's structured outputs are valid for the schema the client sent: each zod
// schema here goes to JSON Schema as the Vercel AI SDK sends it (draft-07) and as OpenAI's own
// docs write it (2020-12), and the value must parse back through the zod schema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stringForPattern } from './pattern-string.js';
import { MAX_ARRAY_ITEMS, MAX_STRING_LENGTH, MAX_VALUES, valueForSchema } from './schema-value.js';

type Node = { name: string; children: Node[] };
const node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(node) }));

const SCHEMAS: Record<string, z.ZodType> = {
  formats: z.object({
    email: z.email(),
    id: z.uuid(),
    when: z.iso.datetime(),
    day: z.iso.date(),
    time: z.iso.time(),
    url: z.url(),
    ip: z.ipv4(),
  }),
  lengths: z.object({
    code: z.string().length(6),
    s: z.string().min(30).max(40),
    short: z.string().max(3),
    list: z.array(z.number()).min(3).max(4),
  }),
  numbers: z.object({
    open: z.number().gt(10).lt(11),
    step: z.number().multipleOf(7).min(50),
    int: z.number().int().min(100).max(200),
    pos: z.number().int().positive(),
    neg: z.number().int().negative(),
    below: z.number().max(-5),
  }),
  pattern: z.object({
    sku: z.string().regex(/^[A-Z]{3}-\d{4}$/),
    hex: z.string().regex(/^#[0-9a-f]{6}$/i),
  }),
  union: z.object({
    shape: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('circle'), r: z.number() }),
      z.object({ kind: z.literal('square'), side: z.number() }),
    ]),
    either: z.union([z.number(), z.string()]),
    maybe: z.string().nullable(),
  }),
  literals: z.object({ v: z.literal(42), s: z.literal('x'), e: z.enum(['b', 'c']) }),
  tuple: z.object({ t: z.tuple([z.string(), z.number(), z.boolean()]) }),
  recursive: node,
  record: z.object({ r: z.record(z.string(), z.number()) }),
  array: z.array(z.object({ a: z.string() })).min(2),
  intersection: z.intersection(z.object({ a: z.string() }), z.object({ b: z.number() })),
};

describe('valueForSchema', () => {
  for (const target of ['draft-7', 'draft-2020-12'] as const)
    for (const [name, schema] of Object.entries(SCHEMAS))
      it(`${name} (${target}) parses back through its zod schema`, () => {
        const json = z.toJSONSchema(schema, { target });
        const value = valueForSchema(json, 'answer');
        expect(schema.safeParse(value).error).toBeUndefined();
        expect(valueForSchema(json, 'answer')).toEqual(value); // deterministic
      });

  it('fills required keys with strings named after the key, and 1 for numbers', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, n: { type: 'integer' } },
      required: ['city', 'n'],
      additionalProperties: false,
    };
    expect(valueForSchema(schema, 'answer')).toEqual({ city: 'simulated city', n: 1 });
  });

  it('uniqueItems: items differ from one another', () => {
    const items = (schema: object) =>
      valueForSchema({ type: 'array', minItems: 3, uniqueItems: true, items: schema }, 'tag');
    for (const item of [
      { type: 'string' },
      { type: 'integer', minimum: 5 },
      { enum: ['a', 'b', 'c'] },
    ]) {
      const got = items(item) as unknown[];
      expect(new Set(got).size).toBe(3);
    }
  });

  it('a schema that is no object gives null (a tool without parameters gets {})', () => {
    expect(valueForSchema(undefined, 'x')).toBeNull();
  });

  // The schema is the client's (input audit, 2026-12-06): before, `minLength: 1e9` ended the
  // process (V8: invalid size), `minItems: 1e6` froze it, and this pattern, tested by JavaScript's
  // backtracking RegExp against "simulated <key>", froze it for minutes.
  it('bounds what a client schema can ask: lengths, counts, parts, and patterns in linear time', () => {
    const long = valueForSchema(
      { type: 'object', properties: { s: { type: 'string', minLength: 1e9 } }, required: ['s'] },
      '',
    ) as { s: string };
    expect(long.s.length).toBe(MAX_STRING_LENGTH);
    const many = valueForSchema({ type: 'array', items: { type: 'integer' }, minItems: 1e6 }, '');
    expect(many).toHaveLength(MAX_ARRAY_ITEMS);
    // Arrays of arrays of arrays: a bounded number of parts, the rest null.
    const nested = (d: number): object =>
      d === 0 ? { type: 'string' } : { type: 'array', items: nested(d - 1), minItems: 64 };
    const flat = JSON.stringify(valueForSchema(nested(4), '')).match(/"simulated"/g) ?? [];
    expect(flat.length).toBeLessThan(MAX_VALUES);
    const key = 'a'.repeat(40);
    const evil = valueForSchema(
      {
        type: 'object',
        properties: { [key]: { type: 'string', pattern: '^(\\w+\\s?)*!$' } },
        required: [key],
      },
      '',
    ) as Record<string, string>;
    expect(typeof evil[key]).toBe('string');
  });

  it("a pattern RE2 cannot test (a lookahead) still gets the generator's string", () => {
    const v = valueForSchema({ type: 'string', pattern: '^(?=[a-z])[a-z]{3}$' }, 'k');
    expect(v).toMatch(/^(?=[a-z])[a-z]{3}$/);
  });
});

describe('stringForPattern', () => {
  const cases = [
    '^[A-Z]{3}-\\d{4}$',
    '^(?:\\+?1[-. ]?)?\\(?\\d{3}\\)?[-. ]?\\d{3}[-. ]?\\d{4}$',
    '^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$',
    '^(foo|bar)+baz?$',
    '^\\p{Lu}\\w*$',
    '^[\\u0041-\\u005A]\\x41\\u{42}$',
    'ab{2,}c',
  ];
  for (const p of cases)
    it(`matches ${p}`, () => {
      const s = stringForPattern(p);
      expect(s).toBeDefined();
      expect(new RegExp(p, 'u').test(s!)).toBe(true);
    });

  it('gives up on what it cannot write (back-references), for the caller to fall back', () => {
    expect(stringForPattern('^(a)\\1$')).toBeUndefined();
  });
});
