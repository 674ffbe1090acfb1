// The constraints a client wrote into a schema's `description` because the API would not take
// them as keywords. @anthropic-ai/sdk's structured-output helpers (`zodOutputFormat`,
// `betaZodOutputFormat`, `jsonSchemaOutputFormat`) strip the keywords Claude's structured outputs
// refuse (`minimum`, `maxLength`, `pattern`, `minItems` above 1, …) and append them to the
// description as `{minimum: 10, maximum: 20}` (lib/transform-json-schema.ts), for the model to
// read; the SDK then validates the answer against the full schema. A simulated model reads them as
// Claude does, so `messages.parse` gets a value its zod schema accepts.
import type { JsonSchema } from './schema-value.js';

/**
 * The keywords the simulated fleet honours when they come in a description. `enum` and `const`
 * too: the @anthropic-ai/sdk 0.x that LangChain's ChatAnthropic calls (`withStructuredOutput`,
 * method `jsonSchema`) moves an enum beside a type there as `{enum: ["a","b"]}`.
 */
const DESCRIBED_KEYWORDS = new Set([
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minItems',
  'maxItems',
  'uniqueItems',
]);

/** `key: ` at the start of one entry of the description's `{…}` trailer. */
const ENTRY_KEY = /^([A-Za-z_$][\w$]*): /;

/**
 * The longest trailer read (characters): the SDK's are a line, and each of an answer's many values
 * may name the same long description (a `$ref`), so what one costs stays small.
 */
const MAX_TRAILER_LENGTH = 4096;

/**
 * `schema` with the constraints its description states as the SDK writes them, where the schema
 * does not set that keyword itself; `schema` unchanged when the description states none.
 */
export function withDescribedConstraints(schema: JsonSchema): JsonSchema {
  const description = schema.description;
  if (typeof description !== 'string' || !description.endsWith('}')) return schema;
  // The SDK appends the trailer after "\n\n" to a description the schema had, else it is all.
  const tail = description.slice(-MAX_TRAILER_LENGTH - 2);
  const start = tail.lastIndexOf('\n\n{');
  if (start < 0 && tail.length < description.length) return schema;
  const stated = readTrailer(tail.slice(start < 0 ? 0 : start + 2));
  if (!stated) return schema;
  const added: JsonSchema = {};
  for (const [key, value] of Object.entries(stated))
    if (DESCRIBED_KEYWORDS.has(key) && !(key in schema)) added[key] = value;
  return Object.keys(added).length ? { ...schema, ...added } : schema;
}

/** `{minimum: 10, pattern: "^a$"}` (keys bare, values JSON) → its entries; undefined if not. */
function readTrailer(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  const end = text.length - 1;
  const out: Record<string, unknown> = {};
  let i = 1;
  while (i < end) {
    const key = ENTRY_KEY.exec(text.slice(i, i + 80));
    if (!key?.[1]) return undefined;
    i += key[0].length;
    const valueEnd = jsonValueEnd(text, i, end);
    try {
      out[key[1]] = JSON.parse(text.slice(i, valueEnd));
    } catch {
      return undefined;
    }
    i = valueEnd;
    if (text.startsWith(', ', i)) i += 2;
    else if (i !== end) return undefined;
  }
  return out;
}

/** Where the JSON value starting at `from` ends: the first `,` outside strings and brackets. */
function jsonValueEnd(text: string, from: number, end: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < end; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) return i;
  }
  return end;
}
