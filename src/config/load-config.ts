// Reads the config (YAML or JSON), substitutes `${env:VAR}` (substitute-env.ts), validates it
// strictly and checks the cross-references the schema cannot (subset names, duplicate names,
// zones: check-references.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { parse } from 'yaml';
import { configSchema, type Config } from './schema.js';
import { checkBatchWebhookSecrets } from './batch-schema.js';
import { checkReferences } from './check-references.js';
import { environmentWarnings } from './environment-warnings.js';
import { formatZodIssues } from './format-zod-issues.js';
import { substituteEnv, typeSubstituted } from './substitute-env.js';
import { zodIssueMessage } from './zod-issue-message.js';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  /** "Invalid config:" and one issue per line (`path: what to fix`). */
  static of(issues: string[]): ConfigError {
    return new ConfigError(`Invalid config:\n  ${issues.join('\n  ')}`, issues);
  }
}

export interface LoadedConfig {
  config: Config;
  /** Things that are allowed but an operator should know (e.g. a subset with no failover). */
  warnings: string[];
}

/** Validate a parsed config object. Throws ConfigError listing every problem. */
/** `env` null: `${env:…}` is refused (a change through the admin API), not looked up. */
export function parseConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv | null = process.env,
): LoadedConfig {
  const missing: string[] = [];
  const whole: string[] = [];
  const substituted = substituteEnv(raw, env, '', missing, whole);
  if (missing.length) throw ConfigError.of(missing);
  let result = configSchema.safeParse(substituted, { error: zodIssueMessage });
  if (!result.success && whole.length && typeSubstituted(substituted, result.error, whole))
    result = configSchema.safeParse(substituted, { error: zodIssueMessage });
  if (!result.success) {
    const issues = formatZodIssues(result.error);
    throw ConfigError.of(issues);
  }
  const config = result.data;
  const { issues, warnings } = checkReferences(config);
  if (issues.length) throw ConfigError.of(issues);
  return { config, warnings: [...warnings, ...environmentWarnings(config, env ?? process.env)] };
}

const requireYaml = createRequire(import.meta.url);

/** The YAML parser (72 modules, ≈1 MB of heap) loads with the first YAML config, not for JSON. */
function parseYaml(text: string): unknown {
  return (requireYaml('yaml') as { parse: typeof parse }).parse(text);
}

/**
 * Parse config text by file extension (`.json` or YAML otherwise). A config file is loaded in the
 * environment it runs in, so the secrets it names by variable (batch webhooks') are checked here;
 * changes made through the admin API are validated already substituted, without an environment.
 */
export function parseConfigText(
  text: string,
  fileName: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  // An empty file (or YAML of comments alone): said so, as `keys --config` says it, not as the
  // schema's "<root>: must be an object, not null" or JSON's "Unexpected end of JSON input".
  const empty = () => {
    const reason = 'is empty: a config is a mapping (deployments, routers, …)';
    return new ConfigError(reason, [reason]);
  };
  if (!text.trim()) throw empty();
  let raw: unknown;
  try {
    raw = fileName.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // The YAML parser's message quotes the line with blank lines around it: keep it, squeezed.
    const reason = (err as Error).message.replace(/\n\s*\n/g, '\n').trimEnd();
    throw new ConfigError(`not valid ${fileName.endsWith('.json') ? 'JSON' : 'YAML'}: ${reason}`, [
      reason,
    ]);
  }
  if (raw == null && !fileName.endsWith('.json')) throw empty();
  const loaded = parseConfig(raw, env);
  const issues = checkBatchWebhookSecrets(loaded.config.batches.webhooks, env);
  if (issues.length) throw ConfigError.of(issues);
  return loaded;
}

/** A config file's text; a ConfigError saying, in words, why it cannot be read. */
export function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // Node's message repeats the path ("ENOENT: no such file or directory, open '<file>'").
    const { code, message } = err as NodeJS.ErrnoException;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : message;
    throw new ConfigError(`${file}: cannot read the config file: ${reason}`, [reason]);
  }
}

/** Read and parse a config file; every ConfigError it throws names the file once, first. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const text = readConfigFile(file);
  try {
    return parseConfigText(text, file, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`, err.issues);
    throw err;
  }
}
