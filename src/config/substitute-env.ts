// `${env:VAR}` (and `${env:VAR:-default}`) in the config: substituted in every string before the
// schema reads it, and a value that was one placeholder and nothing else read as the number or
// boolean the schema asks for (parseConfig in load-config.ts does both).
import type { z } from 'zod';
import { formatPath } from './format-zod-issues.js';

const ENV_PATTERN = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A value that is one placeholder and nothing else. */
const WHOLE_PLACEHOLDER = new RegExp(`^${ENV_PATTERN.source}$`);

/**
 * Replace `${env:VAR}` (or `${env:VAR:-default}`) in every string; a missing variable is an error,
 * as is a value that contains itself (`inside`: the objects and lists around this one).
 * The paths of values that were one placeholder and nothing else go in `whole`: such a value may
 * stand for a number or a boolean (`port: ${env:PORT}`), which parseConfig reads it as where the
 * schema asks for one.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv | null,
  path = '',
  missing: string[] = [],
  whole: string[] = [],
  inside: object[] = [],
): unknown {
  if (typeof value === 'string') {
    if (WHOLE_PLACEHOLDER.test(value)) whole.push(path || '<root>');
    return value.replace(ENV_PATTERN, (_m, name: string, fallback: string | undefined) => {
      // No environment (a change through the admin API): never read the router's.
      if (!env) {
        missing.push(
          `${path || '<root>'}: \${env:${name}} is expanded only in the config file: the admin API does not read the router's environment. Send the value itself, or put \${env:${name}} in the file`,
        );
        return '';
      }
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      missing.push(`${path || '<root>'}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (!value || typeof value !== 'object') return value;
  // A YAML alias inside the value it names (`a: &x [*x]`) makes a value that contains itself.
  if (inside.includes(value)) {
    missing.push(
      `${path || '<root>'}: a YAML alias here names a value that contains it (*name inside the value marked &name): write the value out instead`,
    );
    return undefined;
  }
  inside.push(value);
  let out: unknown;
  if (Array.isArray(value))
    out = value.map((v, i) => substituteEnv(v, env, `${path}[${i}]`, missing, whole, inside));
  else {
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      fields[k] = substituteEnv(v, env, path ? `${path}.${k}` : k, missing, whole, inside);
    out = fields;
  }
  inside.pop();
  return out;
}

/**
 * Where the schema wants a number or a boolean and got the text a whole `${env:…}` placeholder
 * became, the value read as one ("8080" → 8080, "true" → true); true when any was. Text that is no
 * number (or no boolean) is left, for the schema's message.
 */
export function typeSubstituted(
  raw: unknown,
  error: z.ZodError,
  whole: readonly string[],
): boolean {
  let changed = false;
  for (const issue of error.issues) {
    if (issue.code !== 'invalid_type' || !whole.includes(formatPath(issue.path))) continue;
    const key = issue.path.at(-1);
    let parent: unknown = raw;
    for (const p of issue.path.slice(0, -1)) parent = (parent as Record<PropertyKey, unknown>)[p];
    if (key === undefined || !parent || typeof parent !== 'object') continue;
    const holder = parent as Record<PropertyKey, unknown>;
    const text = holder[key];
    if (typeof text !== 'string') continue;
    const t = text.trim();
    if (issue.expected === 'number' && t !== '' && Number.isFinite(Number(t))) {
      holder[key] = Number(t);
      changed = true;
    } else if (issue.expected === 'boolean' && (t === 'true' || t === 'false')) {
      holder[key] = t === 'true';
      changed = true;
    }
  }
  return changed;
}
