// The value a simulated model writes for a JSON schema (response_format json_schema, a tool's
// parameters): minimal, deterministic, and valid for the schema, since clients validate it (the
// Vercel AI SDK's generateObject rejects an object its zod schema refuses). Covers what OpenAI's
// strict structured outputs accept: const/enum, anyOf/oneOf/allOf, $ref to $defs/definitions/'#',
// string format/pattern/length, number bounds and multipleOf, array length and tuples; and those
// bounds where @anthropic-ai/sdk wrote them into a description (described-constraints.ts).
//
// The schema is the client's, so what it asks is bounded (input audit, 2026-12-06: `minLength:
// 1e9` crashed the process, `minItems: 1e6` froze it, and a `pattern` such as `^(\w+\s?)*!$`
// froze it for minutes by backtracking): strings and arrays are cut to a size a demo needs, the
// whole value to a number of parts, and patterns are tested by RE2 (re2js: linear time; a
// pattern RE2 cannot read, with lookarounds or back-references, is not tested).
import { RE2JS } from 're2js';
import { isObject } from '../../core/is-object.js';
import { withDescribedConstraints } from './described-constraints.js';
import { stringForPattern } from './pattern-string.js';

export type JsonSchema = Record<string, unknown>;

/** Past this depth arrays get their fewest items and unions their first branch without a `$ref`. */
const SHALLOW_DEPTH = 3;
/** A schema that cannot end (a required self-reference) stops here. */
const MAX_DEPTH = 24;
/** The longest string written, whatever `minLength` asks (characters). */
export const MAX_STRING_LENGTH = 4096;
/** The most items in one array, whatever `minItems` asks. */
export const MAX_ARRAY_ITEMS = 64;
/** The most values (strings, numbers, objects, …) in one answer; past it, `null`. */
export const MAX_VALUES = 2000;

/** Sample values for string formats (JSON Schema's, and the ones OpenAI's strict mode accepts). */
const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00Z',
  duration: 'P1D',
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  hostname: 'example.com',
  'idn-hostname': 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uuid: '00000000-0000-4000-8000-000000000000',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  iri: 'https://example.com/',
  'iri-reference': 'https://example.com/',
};

/** A minimal value valid for `schema`: required keys filled, strings named after their key. */
export function valueForSchema(schema: unknown, hint: string): unknown {
  if (!isObject(schema)) return null;
  return new SchemaValues(schema).value(schema, hint, 0, 0);
}

class SchemaValues {
  private left = MAX_VALUES;
  constructor(private readonly root: JsonSchema) {}

  /** `variant` > 0 asks for a value unlike variant 0's where the schema allows (`uniqueItems`). */
  value(raw: unknown, hint: string, depth: number, variant: number): unknown {
    if (this.left-- <= 0) return null;
    if (raw === true || raw === undefined) return this.stringValue({}, hint, variant);
    if (!isObject(raw) || depth > MAX_DEPTH) return null;
    // Bounds @anthropic-ai/sdk's helpers moved into the description count as the keywords.
    const schema = withDescribedConstraints(this.resolve(raw));
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length)
      return schema.enum[variant % schema.enum.length];
    if (Array.isArray(schema.allOf)) return this.value(this.merge(schema), hint, depth, variant);
    const union = schema.anyOf ?? schema.oneOf;
    if (Array.isArray(union) && union.length)
      return this.value(this.pickBranch(union, depth), hint, depth + 1, variant);
    switch (this.typeOf(schema)) {
      case 'object':
        return this.objectValue(schema, depth);
      case 'array':
        return this.arrayValue(schema, hint, depth);
      case 'integer':
        return numberValue(schema, true, variant);
      case 'number':
        return numberValue(schema, false, variant);
      case 'boolean':
        return variant % 2 === 0;
      case 'null':
        return null;
      default:
        return this.stringValue(schema, hint, variant);
    }
  }

  /** `{"$ref": "#/$defs/node"}` (or `#`, `#/definitions/…`) → the schema it points at. */
  private resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let hops = 0; typeof s.$ref === 'string' && hops < 16; hops++) {
      const target = this.pointer(s.$ref);
      if (!target) break;
      // Keywords beside a $ref apply too (draft 2019+); the $ref's own win where both set one.
      const { $ref: _ref, ...rest } = s;
      s = { ...rest, ...target };
    }
    return s;
  }

  private pointer(ref: string): JsonSchema | undefined {
    if (!ref.startsWith('#')) return undefined;
    let node: unknown = this.root;
    for (const part of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) ? node[key] : undefined;
    }
    return isObject(node) ? node : undefined;
  }

  private merge(schema: JsonSchema): JsonSchema {
    const { allOf, ...rest } = schema;
    const out: JsonSchema = { ...rest };
    for (const part of allOf as unknown[]) {
      if (!isObject(part)) continue;
      const p = this.resolve(part);
      const properties = { ...(out.properties as object), ...(p.properties as object) };
      const required = [
        ...(Array.isArray(out.required) ? out.required : []),
        ...(Array.isArray(p.required) ? p.required : []),
      ];
      Object.assign(out, p, { properties, required });
    }
    return out;
  }

  /** The first branch that is not `null`; deep down, one without a `$ref` (a recursion's end). */
  private pickBranch(branches: unknown[], depth: number): unknown {
    const usable = branches.filter((b) => !(isObject(b) && b.type === 'null'));
    if (depth >= SHALLOW_DEPTH) {
      const leaf = branches.find((b) => isObject(b) && !('$ref' in b));
      if (leaf !== undefined) return leaf;
    }
    return usable[0] ?? branches[0];
  }

  private typeOf(schema: JsonSchema): unknown {
    const t = schema.type;
    if (Array.isArray(t)) return t.find((x) => x !== 'null') ?? 'null';
    if (t !== undefined) return t;
    if (isObject(schema.properties) || schema.required) return 'object';
    if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
    return undefined;
  }

  private objectValue(schema: JsonSchema, depth: number): Record<string, unknown> {
    const props = isObject(schema.properties) ? schema.properties : {};
    const keys = Array.isArray(schema.required)
      ? (schema.required as unknown[]).filter((k): k is string => typeof k === 'string')
      : Object.keys(props);
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = this.value(props[key], key, depth + 1, 0);
    return out;
  }

  private arrayValue(schema: JsonSchema, hint: string, depth: number): unknown[] {
    // Draft 2020-12 tuples are `prefixItems`; draft-07 (zod's default target) an `items` array.
    const tuple = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
    const wanted = Math.max(minItems, tuple.length, depth >= SHALLOW_DEPTH ? 0 : 1);
    const count = Math.min(
      wanted,
      maxItems,
      rest === false ? tuple.length : Infinity,
      MAX_ARRAY_ITEMS,
    );
    const unique = schema.uniqueItems === true;
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) {
      const item = i < tuple.length ? tuple[i] : rest;
      const itemHint = unique && i > 0 ? `${hint} ${i + 1}` : hint;
      out.push(this.value(item, itemHint, depth + 1, unique ? i : 0));
    }
    return out;
  }

  private stringValue(schema: JsonSchema, hint: string, variant: number): string {
    const minLength = Math.min(
      typeof schema.minLength === 'number' ? schema.minLength : 0,
      MAX_STRING_LENGTH,
    );
    const maxLength = Math.min(
      typeof schema.maxLength === 'number' ? schema.maxLength : Infinity,
      MAX_STRING_LENGTH,
    );
    const patternText = typeof schema.pattern === 'string' ? schema.pattern : undefined;
    const pattern = patternText === undefined ? undefined : compile(patternText);
    const fits = (s: string) => {
      const n = [...s].length;
      return n >= minLength && n <= maxLength && (!pattern || pattern.matcher(s).find());
    };
    const base = hint ? `simulated ${hint}` : 'simulated';
    const format = typeof schema.format === 'string' ? FORMAT_SAMPLES[schema.format] : undefined;
    const generated =
      patternText === undefined
        ? []
        : [0, 1, 2, minLength, typeof schema.maxLength === 'number' ? maxLength : 0].map(
            (stretch) => stringForPattern(patternText, stretch),
          );
    // A pattern RE2 cannot test: the generator's own strings first, as they follow it.
    const candidates =
      patternText !== undefined && !pattern
        ? [...generated, format, base]
        : [format, variant > 0 ? `${base} ${variant + 1}` : base, ...generated];
    const found = candidates.find((c): c is string => c !== undefined && fits(c));
    if (found !== undefined) return found;
    if (patternText !== undefined)
      return (generated.findLast((c): c is string => c !== undefined) ?? base).slice(
        0,
        MAX_STRING_LENGTH,
      );
    // Only lengths to meet: pad or cut the plain text.
    const chars = [...(format ?? base)];
    while (chars.length < minLength) chars.push('x');
    return chars.slice(0, maxLength).join('');
  }
}

/**
 * The pattern in RE2 (linear-time matching: the pattern is the client's), or undefined where RE2
 * cannot read it (lookarounds, back-references; not a pattern at all): then it is not tested.
 */
function compile(pattern: string): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern);
  } catch {
    return undefined;
  }
}

/** 1 where allowed, else the bound nearest it, on a `multipleOf` step; `variant` steps further. */
function numberValue(schema: JsonSchema, integer: boolean, variant: number): number {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  // Draft 4 writes exclusive bounds as booleans beside minimum/maximum; later drafts as numbers.
  let lo = num(schema.minimum) ?? -Infinity;
  let hi = num(schema.maximum) ?? Infinity;
  let loOpen = schema.exclusiveMinimum === true;
  let hiOpen = schema.exclusiveMaximum === true;
  const exMin = num(schema.exclusiveMinimum);
  const exMax = num(schema.exclusiveMaximum);
  if (exMin !== undefined && exMin >= lo) [lo, loOpen] = [exMin, true];
  if (exMax !== undefined && exMax <= hi) [hi, hiOpen] = [exMax, true];
  const step = num(schema.multipleOf) ?? (integer ? 1 : undefined);
  const inRange = (v: number) => (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (step && step > 0) {
    // Multiples of `step` in range: the one nearest 1, then the next ones for other variants.
    let k = Math.round(1 / step) || 1;
    if (!inRange(k * step)) {
      k = Number.isFinite(lo) ? Math.ceil(lo / step) : Math.floor(hi / step);
      if (!inRange(k * step)) k += Number.isFinite(lo) ? 1 : -1;
    }
    const dir = Number.isFinite(lo) || !Number.isFinite(hi) ? 1 : -1;
    const stepped = (k + dir * variant) * step;
    const v = inRange(stepped) ? stepped : k * step;
    return integer ? Math.round(v) : v;
  }
  const preferred = 1 + variant;
  if (inRange(preferred)) return preferred;
  if (Number.isFinite(lo) && Number.isFinite(hi)) return lo + (hi - lo) / (2 + variant);
  if (Number.isFinite(lo)) return loOpen ? lo + 1 + variant : lo + variant;
  return hiOpen ? hi - 1 - variant : hi - variant;
}
