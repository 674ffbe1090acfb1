// The parts of a config that belong to one process, not to the fleet: where it listens
// (`server.port`, `server.host`, which `--port`/`--host`/`PORT`/`HOST` set per replica) and where
// it finds its shared stores (`state.redisUrl`, `requestLog.postgresUrl`: a replica may reach
// them through its own proxy or sidecar, and a password rotated in the URL reaches replicas one
// restart at a time). They are kept out of comparisons and diffs (replicas on different ports, or
// with another password in the URL, are not different configs), and a replica keeps its own when
// it applies a snapshot another replica recorded.
import { createHash } from 'node:crypto';
import type { Config } from './schema.js';

export interface PerProcessConfig {
  port: number;
  host: string;
  redisUrl: string | undefined;
  postgresUrl: string | undefined;
}

export function perProcessOf(config: Config): PerProcessConfig {
  return {
    port: config.server.port,
    host: config.server.host,
    redisUrl: config.state.redisUrl,
    postgresUrl: config.requestLog.postgresUrl,
  };
}

const PER_PROCESS_PATHS: Record<keyof PerProcessConfig, string> = {
  port: 'server.port',
  host: 'server.host',
  redisUrl: 'state.redisUrl',
  postgresUrl: 'requestLog.postgresUrl',
};

/** The per-process settings that differ between two configs, by their config paths. */
export function perProcessChanges(before: Config, after: Config): string[] {
  const [a, b] = [perProcessOf(before), perProcessOf(after)];
  return (Object.keys(PER_PROCESS_PATHS) as (keyof PerProcessConfig)[])
    .filter((k) => a[k] !== b[k])
    .map((k) => PER_PROCESS_PATHS[k]);
}

/** `config` with this process's own settings: a copy where it differs (the snapshot is not touched). */
export function withPerProcess(config: Config, local: PerProcessConfig): Config {
  // The same object when nothing changes: listeners tell a new config from the same one under a
  // new version number by identity (start-up warm-up, governance), and would act twice.
  if (
    config.server.port === local.port &&
    config.server.host === local.host &&
    config.state.redisUrl === local.redisUrl &&
    config.requestLog.postgresUrl === local.postgresUrl
  )
    return config;
  return {
    ...config,
    server: { ...config.server, port: local.port, host: local.host },
    state: { ...config.state, redisUrl: local.redisUrl },
    requestLog: { ...config.requestLog, postgresUrl: local.postgresUrl },
  };
}

/** The config as the fleet shares it: the per-process fields left out. */
export function sharedPart(config: Config): Omit<Config, 'server' | 'state' | 'requestLog'> & {
  server: Omit<Config['server'], 'port' | 'host'>;
  state: Omit<Config['state'], 'redisUrl'>;
  requestLog: Omit<Config['requestLog'], 'postgresUrl'>;
} {
  const { port: _port, host: _host, ...server } = config.server;
  const { redisUrl: _redisUrl, ...state } = config.state;
  const { postgresUrl: _postgresUrl, ...requestLog } = config.requestLog;
  return { ...config, server, state, requestLog };
}

/**
 * Identifies what a config file says, so a replica can tell "the file changed since it was last
 * loaded" from "the live config changed since" (an admin edit). Object keys are sorted, so the
 * same settings give the same fingerprint whatever their order in the file.
 */
export function configFingerprint(config: Config): string {
  return createHash('sha256')
    .update(canonicalJson(sharedPart(config)))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
