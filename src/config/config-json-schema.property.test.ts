// Properties of the config's JSON Schema against the loader it describes: a config the loader
// accepts is never refused by the schema (an editor's false error), whatever one value is changed
// to; and the schema's patterns say what substitute-env.ts and zod's url() do.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  CONTAINS_PLACEHOLDER,
  URL_PATTERN,
  WHOLE_PLACEHOLDER,
  configJsonSchema,
  type JsonSchemaNode,
} from './config-json-schema.js';
import { substituteEnv } from './substitute-env.js';
import { compileConfigJsonSchema, loadYaml } from '../../test/helpers/config-json-schema-ajv.js';

const validate = compileConfigJsonSchema();
const DEFAULT = parseYaml(
  readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8'),
) as unknown;

type Path = (string | number)[];

/** Every place in a value: its own path and its children's, depth first. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  if (!value || typeof value !== 'object') return [at];
  const children = Array.isArray(value)
    ? value.flatMap((v, i) => pathsOf(v, [...at, i]))
    : Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]));
  return [at, ...children];
}

/** Every enum and const string of the schema: values the loader may well accept somewhere. */
function schemaWords(s: JsonSchemaNode, out = new Set<string>()): Set<string> {
  for (const v of [...(s.enum ?? []), s.const]) if (typeof v === 'string') out.add(v);
  for (const child of [
    ...(s.anyOf ?? []),
    ...Object.values(s.properties ?? {}),
    ...(s.items ? [s.items] : []),
    ...(typeof s.additionalProperties === 'object' ? [s.additionalProperties] : []),
  ])
    schemaWords(child, out);
  for (const k of Object.keys(s.properties ?? {})) out.add(k);
  return out;
}

const PATHS = pathsOf(DEFAULT).filter((p) => p.length > 0);
const WORDS = [...schemaWords(configJsonSchema())];

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(...WORDS),
  fc.constantFrom('${env:X}', 'x${env:X}', '${env:X:-2}', 'https://h.example/v1', 'latest'),
  fc.array(fc.constantFrom(...WORDS), { maxLength: 2 }),
  fc.dictionary(fc.constantFrom(...WORDS), fc.integer({ min: 0, max: 3 }), { maxKeys: 1 }),
);

/** One change to the default config: a value replaced, a key removed, or a key added. */
const mutation = fc.record({
  path: fc.constantFrom(...PATHS),
  kind: fc.constantFrom('set', 'delete', 'add'),
  key: fc.constantFrom(...WORDS),
  value,
  env: fc.constantFrom('1', '0', 'true', 'false', 'cost', 'https://h.example', 'x'),
});

/** The default config with one change applied. */
function apply(m: { path: Path; kind: string; key: string; value: unknown }): unknown {
  const doc = structuredClone(DEFAULT) as Record<string | number, unknown>;
  let holder = doc;
  for (const p of m.path.slice(0, -1)) holder = holder[p] as Record<string | number, unknown>;
  const last = m.path.at(-1)!;
  if (m.kind === 'set') holder[last] = m.value;
  else if (m.kind === 'delete') {
    if (Array.isArray(holder)) holder.splice(Number(last), 1);
    else delete holder[last];
  } else {
    const target = holder[last];
    if (target && typeof target === 'object' && !Array.isArray(target))
      (target as Record<string, unknown>)[m.key] = m.value;
    else holder[last] = m.value;
  }
  return doc;
}

describe('config JSON Schema properties', () => {
  it('a config the loader accepts after one change is valid', () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutation, (m) => {
        // As a JSON file: YAML's parser would take most of the time, and the question is the same.
        const text = JSON.stringify(apply(m));
        if (!loadYaml(text, { X: m.env }, 'config.json').ok) return true;
        accepted++;
        const ok = validate(JSON.parse(text));
        if (!ok) throw new Error(JSON.stringify(validate.errors?.slice(0, 3)));
        return true;
      }),
      { numRuns: 400, seed: 17 },
    );
    // Not vacuous: many of the changed configs were ones the loader takes.
    expect(accepted).toBeGreaterThan(40);
  });

  it('a whole ${env:…} is what substituteEnv reads as a number or boolean; any is substituted', () => {
    const piece = fc.constantFrom('${env:', 'A', '_1', '9', '}', ':-', 'x', ' ', '$', '{', 'env:');
    const whole = new RegExp(WHOLE_PLACEHOLDER);
    const contains = new RegExp(CONTAINS_PLACEHOLDER);
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const text = pieces.join('');
        const wholes: string[] = [];
        const missing: string[] = [];
        const out = substituteEnv(text, { A: '<A>', _1: '<_1>' }, 'v', missing, wholes);
        expect(wholes.includes('v')).toBe(whole.test(text));
        expect(out !== text || missing.length > 0).toBe(contains.test(text));
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('every text the loader takes as a URL has the scheme the schema asks for', () => {
    const url = z.string().url();
    const pattern = new RegExp(URL_PATTERN);
    const text = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc
        .tuple(fc.constantFrom('', ' ', '\t', '\n', 'h\ttp', 'HTTPS', 'a+b.c-d', '1x'), fc.string())
        .map(([scheme, rest]) => `${scheme}:${rest}`),
    );
    let urls = 0;
    fc.assert(
      fc.property(text, (t) => {
        if (!url.safeParse(t).success) return;
        urls++;
        expect(pattern.test(t), t).toBe(true);
      }),
      { numRuns: 1000, seed: 3 },
    );
    expect(urls).toBeGreaterThan(150);
  });
});
