// Entry point: load config → build the runtime → listen; SIGTERM/SIGINT drain and flush.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfigFile } from './config/load-config.js';
import { createRuntime } from './runtime.js';
import { startupMessage } from './startup-message.js';
import { OPTIONS as SERVE_OPTIONS } from './cli/serve.js';

import { DEFAULT_CONFIG_PATH } from './config/default-config-path.js';

export { DEFAULT_CONFIG_PATH };

export interface ServeOptions {
  configPath?: string;
  port?: number;
  host?: string;
}

export async function serve(opts: ServeOptions): Promise<() => Promise<void>> {
  const configPath = opts.configPath ?? DEFAULT_CONFIG_PATH;
  const { config, warnings } = loadConfigFile(configPath);
  if (opts.port !== undefined) config.server.port = checkPort(opts.port, '--port');
  else if (process.env.PORT) config.server.port = checkPort(process.env.PORT, 'PORT');
  // Applied before the runtime allocates anything sizeable; V8 reads it at each full collection.
  if (config.server.heapGrowthPercent > 0)
    setFlagsFromString(`--heap-growing-percent=${config.server.heapGrowthPercent}`);
  if (opts.host) config.server.host = opts.host;
  else if (process.env.HOST) config.server.host = process.env.HOST; // containers: HOST=0.0.0.0
  // What only the loaded config shows (a router's artefact version not there, a request log path
  // that is no database) names the file, as the schema's errors do.
  const runtime = await createRuntime(config, { configPath: opts.configPath }).catch((err) => {
    if (err instanceof ConfigError)
      throw new ConfigError(`${configPath}: ${err.message}`, err.issues);
    throw err;
  });
  for (const w of warnings) runtime.app.log.warn(`config: ${w}`);
  // Handlers before listening: a signal that arrives as soon as the port is open still drains.
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await runtime.close();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown().then(
        () => process.exit(0),
        (err) => {
          process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    });
  }
  const address = await runtime.app
    .listen({ host: config.server.host, port: config.server.port })
    .catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES' && err.code !== 'EADDRNOTAVAIL')
        throw err;
      await runtime.close();
      const where = `${config.server.host}:${config.server.port}`;
      throw new ConfigError(
        err.code === 'EADDRINUSE'
          ? `Cannot listen on ${where}: the port is in use; choose another with PORT=<n> or --port <n>.`
          : `Cannot listen on ${where} (${err.code}): choose another port (PORT, --port) or host (HOST, --host).`,
        [err.code],
      );
    });
  runtime.app.log.info(`model-router listening on ${address}`);
  // One write: where to point clients, the dashboard and the admin key, read as one screen.
  process.stderr.write(
    startupMessage({
      address,
      config,
      configPath: resolve(configPath),
      embeddedDefault: resolve(configPath) === DEFAULT_CONFIG_PATH,
      ephemeralAdminKey: runtime.ephemeralAdminKey,
      env: process.env,
      cwd: process.cwd(),
    }),
  );
  return shutdown;
}

/** A port from the command line or the environment, or a ConfigError naming where it came from. */
export function checkPort(value: number | string, from: string): number {
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65535 && String(value).trim() !== '')
    return port;
  throw new ConfigError(
    `${from} must be an integer between 0 and 65535 (got ${JSON.stringify(value)})`,
    [`${from}: not a port`],
  );
}

/**
 * `node dist/src/main.js` (`npm start -- …`) takes serve's options, strictly: an unknown flag, a
 * flag without its value or a stray argument is a ConfigError (it was ignored, and `--config` with
 * no file started the embedded default).
 */
export function parseServeArgs(argv: string[]): ServeOptions {
  try {
    const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS, strict: true });
    return {
      configPath: values.config,
      port: values.port === undefined ? undefined : checkPort(values.port, '--port'),
      host: values.host,
    };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `${(err as Error).message} (takes --config <file>, --port <n>, --host <address>)`,
      ['arguments'],
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  Promise.resolve()
    .then(() => serve(parseServeArgs(process.argv.slice(2))))
    .catch((err) => {
      process.stderr.write(
        err instanceof ConfigError ? `${err.message}\n` : `${(err as Error).stack}\n`,
      );
      process.exit(1);
    });
}
