// Whether a tool's input schema or an output format's schema is a JSON Schema at all, judged by
// its meta-schema (Ajv): `{"type": "str"}` or `{"properties": "x"}` is refused by OpenAI ("Invalid
// schema for function …") and by Anthropic ("JSON schema is invalid. It must match JSON Schema
// draft 2020-12") alike, so it is a 400 before routing, not an answer that depends on the pick
// (the simulated fleet took any object). Draft 2020-12 unless the schema's `$schema` names draft-07
// (as zod-to-json-schema and the Vercel AI SDK write); a meta-schema Ajv does not know (draft-04)
// is left to the upstream. Ajv loads on the first schema checked. Verdicts are kept by the
// schema's JSON text: an agent sends the same tools with every request, and checking 20 of them
// against the meta-schema took 260-270 us when requests come 20 ms apart (80-190 us back to back)
// where reading their text and finding the verdict takes 90-120 us (2026-12-07, a scratch A/B
// of both builds in one process on a loaded 2-core machine).
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { LRUCache } from 'lru-cache';

let ajv: Ajv2020 | undefined;

/** A schema's verdict by its JSON text ('' for none); at most 8 M characters of schemas. */
const verdicts = new LRUCache<string, string>({
  max: 2048,
  maxSize: 8_000_000,
  sizeCalculation: (_v, key) => key.length + 1,
});

function validator(): Ajv2020 {
  if (ajv) return ajv;
  const require = createRequire(import.meta.url);
  const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 };
  ajv = new Ajv({ strict: false, validateFormats: false });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-07.json') as object);
  return ajv;
}

/**
 * What makes `schema` (an object) no JSON Schema, at its JSON pointer (`/properties/city/type must
 * be equal to one of the allowed values (array, boolean, …)`); undefined when it is one.
 */
export function jsonSchemaFault(schema: Record<string, unknown>): string | undefined {
  const key = JSON.stringify(schema);
  let verdict = verdicts.get(key);
  if (verdict === undefined) verdicts.set(key, (verdict = metaSchemaFault(schema) ?? ''));
  return verdict || undefined;
}

function metaSchemaFault(schema: Record<string, unknown>): string | undefined {
  const v = validator();
  const meta = schema.$schema;
  // An unknown meta-schema: not ours to judge.
  if (meta !== undefined && (typeof meta !== 'string' || !v.getSchema(meta))) return undefined;
  if (v.validateSchema(schema) === true) return undefined;
  const error = v.errors?.[0];
  if (!error) return 'it does not match the JSON Schema meta-schema';
  const at = error.instancePath || '(the schema itself)';
  const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
  return `${at} ${error.message ?? 'is not valid'}${allowed ? ` (${allowed.join(', ')})` : ''}`;
}
