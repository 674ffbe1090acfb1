// `model-router check-config <file>`: validate a config file; prints every problem with its path
// (the request log's SQLite file as serve checks it at start-up among them), and a warning for what
// the routing artefact cannot map in a router's subset.
import { parseArgs } from 'node:util';
import { countOf } from '../../training/count-of.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import { DEFAULT_MODELS_DIR, createRouterFactory, subsetNotes } from '../routing/router-factory.js';
import { MissingRequestLog, checkSqlitePath } from '../store/open-request-store.js';

/** It takes no options but --help (main.ts): any other is an unknown one. */
export const OPTIONS = {} as const;

/** What `model-router check-config --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router check-config <file>

Validates a config file as the router would load it, and the request log's SQLite file
(requestLog.sqlitePath) as the router would open it from this directory: a directory, a file that
is no SQLite database, or a place this user cannot write is a problem. Prints warnings (among them what the routing
artefact cannot map in a router deployment's subset: an unknown model, one mapped by its bare
name, a subset spread over data groups) and OK with the counts (exit 0); or every problem with
its path in the file (exit 1).

options:
  -h, --help   this help

example:
  model-router check-config config/default.yaml
`;

export async function run(argv: string[]): Promise<number> {
  // An option (a mistyped flag) is refused as unknown, not read as the file's name.
  const { positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    // What is wrong first, as the other commands say a missing option; then the usage.
    process.stderr.write(
      `model-router check-config: ${file ? `one config file at a time (got ${positionals.length}: ${positionals.join(', ')})` : 'missing <file>, the config file to check'}\nusage: model-router check-config <file>\n`,
    );
    return 2;
  }
  try {
    const { config, warnings } = loadConfigFile(file);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    const say = (w: string) => process.stdout.write(`warning: ${w}\n`);
    const routerFor = createRouterFactory(config.routing.modelsDir ?? DEFAULT_MODELS_DIR, say);
    // What serve checks of the request log's file before it opens it, said here before a deploy.
    const issues = [...requestLogIssues(config), ...routerFor.issues(config)];
    if (issues.length) throw new ConfigError(`${file}: ${ConfigError.of(issues).message}`, issues);
    for (const note of subsetNotes(config, routerFor)) say(`routing: ${note}`);
    process.stdout.write(
      `${file}: OK (${countOf(config.deployments.length, 'deployment')}, ${countOf(config.routers.length, 'router deployment')}${config.pools.length ? `, ${countOf(config.pools.length, 'pool')}` : ''})\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** serve's start-up check of `requestLog.sqlitePath` (a file it can open and write), as issues. */
function requestLogIssues(config: Config): string[] {
  if (config.requestLog.kind !== 'sqlite') return [];
  try {
    checkSqlitePath(config.requestLog.sqlitePath);
    return [];
  } catch (err) {
    const message = (err as Error).message;
    // Its own words name the setting; another failure (a folder it may not look in) is named here.
    return [
      err instanceof MissingRequestLog
        ? message
        : `requestLog.sqlitePath ${config.requestLog.sqlitePath}: ${message}`,
    ];
  }
}
