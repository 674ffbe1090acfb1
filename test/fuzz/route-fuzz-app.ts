// The whole router (createRuntime) for the route-table fuzz test: the test fleet plus one simulated
// deployment of every other kind, keys (`Bearer fz-admin…`, an admin key of tenant `ops`, and
// `Bearer fz-user…`, a plain key of `team-a`) and a SQLite request log in a temporary folder, so
// every route gets past auth and has its stores. Its routes are read off `printRoutes`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseConfig } from '../../src/config/load-config.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { registeredRoutes } from '../helpers/registered-routes.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

export const ADMIN_KEY = 'fz-admin-key-0123456789abcdef';
export const USER_KEY = 'fz-user-key-0123456789abcdef';

export interface FuzzRuntime {
  runtime: Runtime;
  close(): Promise<void>;
}

/** The runtime with every kind of deployment, two keys and a request log of its own. */
export async function fuzzRuntime(): Promise<FuzzRuntime> {
  const dir = mkdtempSync(join(tmpdir(), 'mr-hFz-'));
  const input = testConfigInput({
    // Small enough that the fuzzer's largest JSON bodies are refused as too large (413).
    server: { host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimitBytes: 256 * 1024 },
    auth: {
      mode: 'keys',
      keys: [
        { id: 'fz-admin', hash: hashApiKey(ADMIN_KEY), tenant: 'ops', admin: true },
        { id: 'fz-user', hash: hashApiKey(USER_KEY), tenant: 'team-a' },
      ],
    },
    requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
  });
  const other = (name: string, kind: string) =>
    simDeployment(name, { kind, model: `${name}-model`, maxOutputTokens: undefined } as never);
  input.deployments.push(
    other('emb', 'embeddings'),
    other('mod', 'moderation'),
    other('img', 'images'),
    other('tts', 'speech'),
    other('stt', 'transcription'),
    other('rr', 'rerank'),
  );
  const runtime = await createRuntime(parseConfig(input, {}).config);
  return {
    runtime,
    async close() {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RouteEntry {
  method: string;
  /** Fastify's pattern, `:id` params and a trailing `*` as registered. */
  path: string;
}

/** Every method and path the app serves, read off Fastify's route tree. */
export const routeTable = (runtime: Runtime): RouteEntry[] =>
  registeredRoutes(runtime.app).map(({ method, url }) => ({ method, path: url }));
