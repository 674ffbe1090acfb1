// `model-router check-config <file>`: validate a config file; prints every problem with its path,
// and what the routing artefact makes of each router's subset.
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { DEFAULT_MODELS_DIR, createRouterFactory, subsetNotes } from '../routing/router-factory.js';

export async function run(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file) {
    process.stderr.write('usage: model-router check-config <file>\n');
    return 2;
  }
  try {
    const { config, warnings } = loadConfigFile(file);
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    const say = (w: string) => process.stdout.write(`warning: ${w}\n`);
    const routerFor = createRouterFactory(config.routing.modelsDir ?? DEFAULT_MODELS_DIR, say);
    const issues = routerFor.issues(config);
    if (issues.length) throw ConfigError.of(issues);
    for (const note of subsetNotes(config, routerFor)) say(`routing: ${note}`);
    process.stdout.write(
      `${file}: OK (${config.deployments.length} deployments, ${config.routers.length} router deployments${config.pools.length ? `, ${config.pools.length} pools` : ''})\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
