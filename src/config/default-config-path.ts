// Where the embedded default config lives, in a module of its own: the CLI's commands name it
// without loading the server (`model-router report --help` need not start up the runtime's code).
import { fileURLToPath } from 'node:url';

/** The embedded default config: the simulated fleet, SQLite request log, in-memory state. */
export const DEFAULT_CONFIG_PATH = fileURLToPath(
  new URL('../../../config/default.yaml', import.meta.url),
);
