// `model-router serve [--config <file>] [--port <n>] [--host <h>]`: start the router.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load-config.js';
import { serve } from '../main.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be an integer between 0 and 65535 (got "${values.port}")\n`);
    return 2;
  }
  try {
    await serve({ configPath: values.config, port, host: values.host });
    return 0;
  } catch (err) {
    process.stderr.write(
      err instanceof ConfigError ? `${err.message}\n` : `${(err as Error).stack}\n`,
    );
    return 1;
  }
}
