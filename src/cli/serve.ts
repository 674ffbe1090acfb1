// `model-router serve [--config <file>] [--port <n>] [--host <h>]`: start the router.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load-config.js';

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

/** What `model-router serve --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router serve [--config <file>] [--port <n>] [--host <address>]

Starts the router: the OpenAI, Azure OpenAI and Anthropic APIs, the admin API and the dashboard on
one port. Runs until SIGTERM or SIGINT, then drains the requests in flight and flushes the logs.

options:
  --config <file>     the YAML config (default: config/default.yaml, a simulated fleet)
  --port <n>          the port, 0 to 65535 (default: $PORT, else the config's server.port)
  --host <address>    the address to bind (default: $HOST, else the config's server.host)
  -h, --help          this help

example:
  model-router serve --config config/default.yaml --port 8080
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`--port must be an integer between 0 and 65535 (got "${values.port}")\n`);
    return 2;
  }
  try {
    // Loaded here, not at the top: `serve --help` need not load the server.
    const { serve } = await import('../main.js');
    await serve({ configPath: values.config, port, host: values.host });
    return 0;
  } catch (err) {
    process.stderr.write(
      err instanceof ConfigError ? `${err.message}\n` : `${(err as Error).stack}\n`,
    );
    return 1;
  }
}
