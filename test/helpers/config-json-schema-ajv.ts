// The config's JSON Schema as a validator (ajv, draft-07, strict) and the router's own loader side
// by side, for the tests that hold the two to agreeing on the same file.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { configJsonSchema } from '../../src/config/config-json-schema.js';
import { ConfigError, parseConfigText } from '../../src/config/load-config.js';

/**
 * ajv in strict mode: an unknown keyword or format in the schema is an error, so the schema holds
 * nothing a validator would silently skip; the hints VS Code reads are declared as keywords.
 */
export function compileConfigJsonSchema(schema: object = configJsonSchema()): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary(['markdownDescription', 'errorMessage', 'patternErrorMessage']);
  return ajv.compile(schema);
}

/** The config paths ajv's errors name, as the loader writes them (`deployments[0].contxtWindow`). */
export function schemaErrorPaths(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const parts = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'additionalProperties')
      parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
    if (e.keyword === 'required')
      parts.push(String((e.params as { missingProperty: string }).missingProperty));
    let out = '';
    for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
    return out || '<root>';
  });
}

/** The paths a ConfigError's issues name (`a.b: what to fix`; `a.x, a.y: unknown keys`). */
export function loaderIssuePaths(err: ConfigError): string[] {
  return err.issues.flatMap((issue) => issue.slice(0, issue.indexOf(': ')).split(', '));
}

export type LoaderVerdict = { ok: true } | { ok: false; error: ConfigError };

/** What the router makes of a config file (YAML, or JSON by its name), in `env`. */
export function loadYaml(
  text: string,
  env: NodeJS.ProcessEnv,
  fileName = 'config.yaml',
): LoaderVerdict {
  try {
    parseConfigText(text, fileName, env);
    return { ok: true };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, error: err };
    throw err;
  }
}

/** A config object as a file holds it (no `undefined`), and as YAML text. */
export function asFile(config: unknown): { value: unknown; text: string } {
  const text = stringifyYaml(config);
  return { value: parseYaml(text) as unknown, text };
}
