// The configuration reference (docs/configuration.md), generated from the config schema itself:
// every key with its type, default, limits and description. A test compares the committed file
// with this output, so the reference cannot drift from what the router accepts.
import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  format?: string;
  pattern?: string;
}

export interface ReferenceEntry {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  description?: string;
  constraints: string[];
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' | ');
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object')
    return `map of name → ${typeOf(s.additionalProperties)}`;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (s.type === 'string' && s.format) return `string (${s.format})`;
  return s.type ?? 'any';
}

function constraintsOf(s: JsonSchema): string[] {
  const c: string[] = [];
  if (s.type === 'integer') c.push('integer');
  if (s.minimum !== undefined) c.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) c.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) c.push(`≤ ${s.maximum}`);
  if (s.minLength) c.push('non-empty');
  if (s.minItems) c.push(`at least ${s.minItems} item${s.minItems > 1 ? 's' : ''}`);
  if (s.pattern && !s.format) c.push(`matches \`${s.pattern}\``);
  return c;
}

/** Every key of the config, depth first, in schema order. */
export function referenceEntries(): ReferenceEntry[] {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: ReferenceEntry[] = [];
  const walk = (s: JsonSchema, path: string, required: boolean) => {
    if (path) {
      const entry: ReferenceEntry = {
        path,
        type: s.type === 'integer' ? 'number' : typeOf(s),
        required,
        constraints: constraintsOf(s),
      };
      if (s.default !== undefined) entry.default = s.default;
      if (s.description) entry.description = s.description;
      else if (path.endsWith('<name>')) entry.description = 'One entry per name.';
      out.push(entry);
    }
    const obj = s.type === 'array' ? s.items : s;
    const prefix = s.type === 'array' ? `${path}[]` : path;
    if (obj?.properties)
      for (const [k, v] of Object.entries(obj.properties))
        walk(v, prefix ? `${prefix}.${k}` : k, obj.required?.includes(k) ?? false);
    else if (obj?.additionalProperties && typeof obj.additionalProperties === 'object')
      walk(obj.additionalProperties, `${prefix}.<name>`, false);
  };
  walk(root, '', true);
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function defaultText(v: unknown): string {
  if (v === undefined) return '';
  const json = JSON.stringify(v);
  // Object defaults are the defaults of their keys, listed on their own rows.
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return '(see keys)';
  return `\`${json.length > 60 ? `${json.slice(0, 57)}…` : json}\``;
}

export function renderConfigReference(): string {
  const entries = referenceEntries();
  const sections = new Map<string, ReferenceEntry[]>();
  for (const e of entries) {
    const top = e.path.split(/[.[]/)[0]!;
    let list = sections.get(top);
    if (!list) sections.set(top, (list = []));
    list.push(e);
  }
  const parts = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/schema.ts by `./bin/model-router config-reference`; do not edit',
    '     by hand. A test fails when this file and the schema disagree. -->',
    '',
    'The router reads one YAML or JSON file (`--config <file>`; `npm start` uses',
    '`config/default.yaml`). The schema is strict: an unknown key is an error that names its path',
    '(and the key you may have meant); a bad value says what to write there: `missing: this key is',
    'required (a number)`, `must be greater than 0 (got 0)`, `must be one of "balanced", …`.',
    'Any string may use `${env:VAR}`, replaced by the environment variable `VAR` when the file',
    'is loaded (an unset variable is an error; `${env:VAR:-default}` gives a default). A value that',
    'is one placeholder and nothing else may stand for a number or a boolean where the key takes',
    'one (`port: ${env:PORT}`). Secrets (API keys) are never written in the file:',
    'keys name the environment variable that holds them (`apiKeyEnv`, `adminKeyEnv`).',
    '`check-config <file>` validates a file without starting the router; the admin API',
    '(`/admin/v1/...`) applies the same schema to live changes, with paths relative to the router,',
    'pool or deployment sent.',
    '',
    'Paths: `a.b` is key `b` inside object `a`; `a[]` is each item of list `a`; `<name>` is a key',
    'you choose.',
  ];
  for (const [top, list] of sections) {
    parts.push('', `## \`${top}\``, '');
    const head = list[0]!;
    if (head.description) parts.push(head.description, '');
    parts.push('| key | type | required | default | description |', '|---|---|---|---|---|');
    for (const e of list) {
      const desc = [
        e.description ?? '',
        e.constraints.length ? `(${e.constraints.join(', ')})` : '',
      ]
        .filter(Boolean)
        .join(' ');
      parts.push(
        `| \`${e.path}\` | ${cell(e.type)} | ${e.required && e.default === undefined ? 'yes' : ''} | ${cell(defaultText(e.default))} | ${cell(desc)} |`,
      );
    }
  }
  return `${parts.join('\n')}\n`;
}
