// `model-router check-config <file>`: validate a config file; prints every problem with its path,
// and a warning for what the routing artefact cannot map in a router's subset.
import { parseArgs } from 'node:util';
import { countOf } from '../../training/count-of.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { DEFAULT_MODELS_DIR, createRouterFactory, subsetNotes } from '../routing/router-factory.js';

/** It takes no options but --help (main.ts): any other is an unknown one. */
export const OPTIONS = {} as const;

/** What `model-router check-config --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router check-config <file>

Validates a config file as the router would load it. Prints warnings (among them what the routing
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
    process.stderr.write('usage: model-router check-config <file>\n');
    return 2;
  }
  try {
    const { config, warnings } = loadConfigFile(file);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    const say = (w: string) => process.stdout.write(`warning: ${w}\n`);
    const routerFor = createRouterFactory(config.routing.modelsDir ?? DEFAULT_MODELS_DIR, say);
    const issues = routerFor.issues(config);
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
