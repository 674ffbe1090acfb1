// The config's JSON Schema (docs/config.schema.json), generated from the zod schema, for editors:
// VS Code's YAML extension (and other yaml-language-server clients) validates and completes a
// config that starts with `# yaml-language-server: $schema=<path>`. A test compares the committed
// file with this output, as docs/configuration.md is compared (config-reference.ts).
//
// The schema describes the file as written, before `${env:VAR}` is substituted (load-config.ts),
// so it must never refuse what the loader accepts (a false error in an editor is worse than a
// missed one). It is zod's own conversion (`io: 'input'`: defaulted keys optional), changed where
// the file and the parsed value differ: a string that may become a valid value once substituted is
// allowed, as is a number or boolean written as one whole placeholder, and `format: uri` becomes the
// check the loader makes. Refinements (cross-field rules, IP and origin checks) are left to the
// loader. For VS Code it adds `markdownDescription` and the messages its validator shows.
import { z } from 'zod';
import { configSchema } from './schema.js';

/** The version editors handle best: yaml-language-server validates draft-07 (2020-12 only partly). */
const DRAFT = 'draft-07';

/** Any `${env:VAR}` or `${env:VAR:-default}` (substitute-env.ts's pattern, unanchored). */
export const CONTAINS_PLACEHOLDER = '\\$\\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\\}';

/** A value that is one placeholder and nothing else: it may stand for a number or a boolean. */
export const WHOLE_PLACEHOLDER = `^${CONTAINS_PLACEHOLDER}$`;

/**
 * What zod's `url()` needs of a string: the WHATWG URL parser (`new URL`) skips leading control
 * characters and spaces, deletes tabs and newlines, then requires a scheme and `:`. JSON Schema's
 * `format: uri` is RFC 3986, stricter (it refuses `https://bücher.example/` and spaces in a
 * path, which the loader accepts), so it is not used.
 */
export const URL_PATTERN = '^[\\u0000-\\u0020]*[A-Za-z][A-Za-z0-9+.\\-\\t\\n\\r]*:';

/** A node of the generated schema: the keywords zod's converter writes, and ours. */
export interface JsonSchemaNode {
  type?: string | string[];
  anyOf?: JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  maxLength?: number;
  [keyword: string]: unknown;
}

/** Keywords that describe a value rather than constrain it: they stay on the outer node. */
const ANNOTATIONS = [
  'title',
  'description',
  'markdownDescription',
  'default',
  'examples',
  'deprecated',
] as const;

/** The text a whole placeholder stands for: a number or a boolean (substitute-env.ts). */
const WHOLE_PLACEHOLDER_TEXT: JsonSchemaNode = {
  type: 'string',
  pattern: WHOLE_PLACEHOLDER,
  patternErrorMessage:
    'a number or boolean written as text must be one ${env:VAR} and nothing else',
};

/** Text the schema cannot judge before substitution: any string with a placeholder in it. */
const SUBSTITUTED_TEXT: JsonSchemaNode = {
  type: 'string',
  pattern: CONTAINS_PLACEHOLDER,
};

/** `node` or `alternative`, its description and default kept outside so editors still show them. */
function orElse(node: JsonSchemaNode, alternative: JsonSchemaNode): JsonSchemaNode {
  const outer: JsonSchemaNode = {};
  const inner: JsonSchemaNode = { ...node };
  for (const k of ANNOTATIONS)
    if (k in inner) {
      outer[k] = inner[k];
      delete inner[k];
    }
  // The message editors show when neither fits: the first alternative's, said once for both.
  const message = valueMessage(inner);
  const second = message ? { ...alternative, patternErrorMessage: message } : alternative;
  if (message) inner.errorMessage = message;
  return { ...outer, anyOf: [inner, second] };
}

/** What a constrained string must be, in words, for an editor's message. */
function valueMessage(s: JsonSchemaNode): string | undefined {
  const hint = ' (or contain ${env:VAR})';
  if (s.enum) return `must be one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}${hint}`;
  if (s.const !== undefined) return `must be ${JSON.stringify(s.const)}${hint}`;
  if (s.pattern === URL_PATTERN) return `must be a URL such as https://host/path${hint}`;
  if (s.pattern) return `must match ${s.pattern}${hint}`;
  return undefined;
}

function isScalarOf(s: JsonSchemaNode, types: string[]): boolean {
  return typeof s.type === 'string' && types.includes(s.type);
}

/**
 * The node as the file may write it. `inUnion`: a direct option of a union, where the loader does
 * not read a placeholder as a number or boolean (zod reports the union, not the option's type).
 */
function asWritten(s: JsonSchemaNode, inUnion = false): JsonSchemaNode {
  const out: JsonSchemaNode = { ...s };
  // Descriptions are Markdown (`code`): VS Code renders this keyword, and shows the plain one raw.
  if (typeof out.description === 'string') out.markdownDescription = out.description;
  if (out.anyOf) {
    // A nullable value (`X | null`) is not a union to the loader: zod checks X's type itself.
    const nullable = out.anyOf.some((a) => a.type === 'null');
    out.anyOf = out.anyOf.map((a) => asWritten(a, !nullable));
  }
  if (out.properties)
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, asWritten(v)]),
    );
  if (out.additionalProperties && typeof out.additionalProperties === 'object')
    out.additionalProperties = asWritten(out.additionalProperties);
  if (out.items) out.items = asWritten(out.items);

  if (out.type === 'string' && out.format === 'uri') {
    delete out.format;
    out.pattern = URL_PATTERN;
  }
  // zod writes its own regex beside a format (date-time): the regex is exactly its check.
  if (out.format && out.pattern) delete out.format;

  if (isScalarOf(out, ['number', 'integer', 'boolean']) && !inUnion)
    return orElse(out, WHOLE_PLACEHOLDER_TEXT);
  const constrainedText =
    out.enum !== undefined ||
    out.const !== undefined ||
    out.pattern !== undefined ||
    out.format !== undefined ||
    out.maxLength !== undefined;
  if ((out.type === 'string' || out.type === undefined) && constrainedText && !out.anyOf)
    return orElse(out, SUBSTITUTED_TEXT);
  return out;
}

/** The config's JSON Schema, as editors read it. */
export function configJsonSchema(): JsonSchemaNode {
  const generated = z.toJSONSchema(configSchema, {
    target: DRAFT,
    io: 'input',
    // Nothing in the config is unrepresentable today; were it, "anything" never refuses a config.
    unrepresentable: 'any',
  }) as JsonSchemaNode;
  const { $schema, ...root } = generated;
  return {
    $schema,
    // No title: yaml-language-server heads every hover with the root's title.
    description:
      'The router config (YAML or JSON), generated from src/config/schema.ts by `model-router config-schema`; every key is described in docs/configuration.md. Cross-references (subset names, duplicates), rules between keys and `${env:…}` values are checked when the router loads the file, and by `model-router check-config`.',
    ...asWritten(root),
  };
}

/** docs/config.schema.json's text. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
