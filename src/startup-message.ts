// What the router prints on stderr once its port is open (`npm start`, `model-router serve`): where
// to point each kind of client, whether they need a key, the dashboard and how to get its admin
// key, so a first run says what to do next. The first line is what scripts and tests wait for.
import { relative } from 'node:path';
import { DEFAULT_ADMIN_KEY_ENV, type Config } from './config/schema.js';

export interface StartupFacts {
  /** The address listen() resolved to (`http://127.0.0.1:8080`). */
  address: string;
  config: Config;
  configPath: string;
  /** Whether configPath is the embedded default (the simulated fleet). */
  embeddedDefault: boolean;
  /** The one-off admin key made for this run, when there is one. */
  ephemeralAdminKey?: string;
  /** The environment the admin key is read from. */
  env: NodeJS.ProcessEnv;
  /** Paths are shown relative to this directory when they are under it. */
  cwd: string;
}

/** The lines printed at start, each ending in a newline. */
export function startupMessage(f: StartupFacts): string {
  const { config } = f;
  const base = clientBase(f.address);
  const routers = config.routers.map((r) => r.name);
  const chat = config.deployments.filter((d) => d.kind === 'chat').map((d) => d.name);
  const model = routers[0] ?? chat[0] ?? '<a deployment name>';
  const keys = config.auth.mode === 'keys';
  const keyHeader = keys ? ` -H 'authorization: Bearer <key>'` : '';
  const shown = relative(f.cwd, f.configPath);
  const configShown = shown && !shown.startsWith('..') ? shown : f.configPath;
  const lines = [
    `model-router listening on ${f.address}`,
    `  config      ${configShown}${f.embeddedDefault ? ' (the embedded default: a simulated fleet, no upstream keys, no network)' : ''}`,
    `  models      ${routers.length ? `routed per prompt: ${routers.join(', ')}` : 'no router deployments'}; all of them: GET ${base}/v1/models`,
    `  OpenAI      base URL ${base}/v1, model "${model}"`,
    `  Azure       endpoint ${base}, deployment "${model}"`,
    `  Anthropic   base URL ${base} (POST /v1/messages), model "${model}"`,
    keys
      ? `  API keys    required (auth.mode: keys): issue one with ./bin/model-router keys issue --url ${base} --admin-key <admin key>`
      : `  API keys    none needed (auth.mode: none): any value in a client's apiKey`,
    `  try         curl -s ${base}/v1/chat/completions -H 'content-type: application/json'${keyHeader} -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    `  dashboard   ${base}/dashboard (sign in with the admin key)`,
    `  admin key   ${adminKeyLine(f)}`,
    `  next        docs/tour.md; Ctrl-C stops (in-flight requests finish first)`,
  ];
  return lines.map((l) => `${l}\n`).join('');
}

/** Where the admin key comes from: this run's one-off key, the environment, or nowhere yet. */
function adminKeyLine(f: StartupFacts): string {
  const envName = f.config.auth.adminKeyEnv || DEFAULT_ADMIN_KEY_ENV;
  if (f.ephemeralAdminKey)
    return `${f.ephemeralAdminKey} (this run only; set ${envName} to choose your own)`;
  if (f.env[envName]) return `the value of ${envName}`;
  return `none: set ${envName} and restart, or give a key in auth.keys admin: true`;
}

/** The address clients on this machine use: a wildcard bind is reached at loopback. */
function clientBase(address: string): string {
  return address.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}
