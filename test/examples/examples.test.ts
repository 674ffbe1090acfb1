// Runs every sample in examples/ as a user would (`node examples/<name>/index.mjs`) against the
// BUILT server with the embedded default config (simulated fleet), and checks what each printed.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ADMIN_KEY = 'examples-test-admin-key';
const RUN_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 90_000;

let server: SpawnedServer;
let config: Config;
/** Upstream model ids of the fleet (what a reply's `model` says), e.g. `gpt-4.1-nano-2025-04-14`. */
let fleetModels: Set<string>;

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one sample; resolves with its exit code and output instead of throwing on failure. */
function runExample(name: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const file = join('examples', name, 'index.mjs');
  const fullEnv = {
    ...process.env,
    MODEL_ROUTER_URL: server.baseUrl,
    MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY,
    ...env,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file],
      { env: fullEnv, timeout: RUN_TIMEOUT_MS },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The runs of a sample that must succeed: exit 0, or fail the test with its output. */
async function runOk(name: string): Promise<string> {
  const r = await runExample(name);
  expect(r.code, `${name} exited ${r.code}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Every `served model: X` the sample printed. */
function servedModels(stdout: string): string[] {
  return [...stdout.matchAll(/served model: (\S+)/g)].map((m) => m[1]!);
}

function expectFleetModels(models: string[], count: number): void {
  expect(models).toHaveLength(count);
  for (const m of models) {
    expect(m).not.toBe('model-router');
    expect(fleetModels.has(m), `${m} is not a model of the fleet`).toBe(true);
  }
}

async function adminGetRouter(): Promise<{ routingMode: string; modelSubset: string[] }> {
  const res = await fetch(`${server.baseUrl}/admin/v1/routers/model-router`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { routingMode: string; modelSubset: string[] };
}

beforeAll(async () => {
  config = loadConfigFile('config/default.yaml', {}).config;
  // Keep the request log out of the repo's data/ directory.
  config.requestLog.sqlitePath = join(mkdtempSync(join(tmpdir(), 'mr-examples-')), 'requests.db');
  fleetModels = new Set(config.deployments.map((d) => d.model));
  // The simulated fleet at ten times the default's speed: it streams the same pieces at any rate
  // (simulated-adapter.ts), so each sample prints what it would; it spent most of its run waiting
  // on the default's human-like latencies (43 s for the file on a loaded CI machine).
  for (const d of config.deployments) {
    if (!d.simulation) continue;
    d.simulation.ttftMs = Math.round(d.simulation.ttftMs / 10);
    d.simulation.tokensPerSecond *= 10;
  }
  server = await spawnServer(config, { MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY });
});

afterAll(async () => {
  await server?.stop();
});

describe('examples against the built server (default config)', () => {
  it(
    'chat-openai-sdk: answers through model-router and names the served model and the reason',
    async () => {
      const out = await runOk('chat-openai-sdk');
      expectFleetModels(servedModels(out), 1);
      const deployment = /^deployment: (\S+)$/m.exec(out)?.[1];
      expect(config.deployments.map((d) => d.name)).toContain(deployment);
      expect(out).toMatch(/^answer: \S/m);
      expect(out).toMatch(/^usage: \d+ prompt \+ \d+ completion tokens$/m);
      expect(out).toContain('why: Router model-router in balanced mode picked');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'azure-openai-client: uses the Azure deployment path with api-version',
    async () => {
      const out = await runOk('azure-openai-client');
      expect(out).toContain(
        `${server.baseUrl}/openai/deployments/model-router/chat/completions?api-version=2024-10-21`,
      );
      expectFleetModels(servedModels(out), 1);
      expect(out).toMatch(/^region: \S+$/m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'streaming: prints deltas and the final usage',
    async () => {
      const out = await runOk('streaming');
      expectFleetModels(servedModels(out), 1);
      expect(Number(/^deltas: (\d+)/m.exec(out)?.[1])).toBeGreaterThan(1);
      expect(out).toContain('finish reason: stop');
      expect(out).toMatch(/^usage: \d+ prompt \+ [1-9]\d* completion = \d+ tokens$/m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'tools: runs the get_weather call locally and prints the final answer',
    async () => {
      const out = await runOk('tools');
      expect(out).toMatch(/^tool call: get_weather\(\{.*\}\) -> \{"city":/m);
      expect(out).toMatch(/^assistant: \S/m);
      const models = servedModels(out);
      expect(models.length).toBeGreaterThanOrEqual(2); // a tool round, then the answer
      expectFleetModels(models, models.length);
      // llama-3.1-8b has no tool support, so the router must never pick it here.
      expect(models).not.toContain('meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'responses-api: text, previous_response_id follow-up, and streamed deltas',
    async () => {
      const out = await runOk('responses-api');
      expectFleetModels(servedModels(out), 3);
      const firstId = /^first: (resp_\S+)$/m.exec(out)?.[1];
      expect(firstId).toBeDefined();
      expect(out).toContain(`continues ${firstId}`);
      expect(Number(/(\d+) output_text\.delta events/.exec(out)?.[1])).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'responses-websocket: two turns on one connection, the second continuing the first',
    async () => {
      const out = await runOk('responses-websocket');
      expectFleetModels(servedModels(out), 2);
      const ids = [...out.matchAll(/^ {2}(resp_\S+): served model: \S+ \((\d+) deltas\)$/gm)];
      expect(ids).toHaveLength(2);
      for (const m of ids) expect(Number(m[2])).toBeGreaterThan(0);
      expect(out).toContain(`continues ${ids[0]![1]}`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'anthropic-sdk: messages.create and a streamed message',
    async () => {
      const out = await runOk('anthropic-sdk');
      expectFleetModels(servedModels(out), 2);
      expect(out).toMatch(/^stop reason: end_turn, tokens: \d+ in, \d+ out$/m);
      expect(out).toMatch(/^streamed: \S/m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'multi-agent: a table of steps with served models, tokens and cost, and the top-model total',
    async () => {
      const out = await runOk('multi-agent');
      const steps = ['plan (planner agent)', 'List the main cost drivers'];
      const rows = out.split('\n').filter((l) => /\s\d+\s+\d+\.\d{6}$/.test(l));
      expect(rows.length).toBe(5); // planner, 3 workers, total
      for (const step of steps) expect(rows.some((r) => r.startsWith(step))).toBe(true);
      for (const row of rows.slice(0, 4)) {
        const model = row.slice(29).trim().split(/\s+/)[0]!;
        for (const m of model.split('+')) expect(fleetModels.has(m), row).toBe(true);
      }
      const totals = /^total\s+(\d+)\s+(\d+)\s+(\d+\.\d{6})$/m.exec(out);
      // Each worker got the lookup tool, and the simulated models call a tool it names: 3 calls.
      expect(Number(totals?.[1])).toBe(3);
      expect(Number(totals?.[2])).toBeGreaterThan(0);
      const total = Number(totals?.[3]);
      expect(total).toBeGreaterThan(0);
      const top = /always the top model \((\S+)\), same tokens: \$(\d+\.\d+)/.exec(out);
      expect(config.deployments.map((d) => d.name)).toContain(top?.[1]?.split('+')[0]);
      expect(Number(top?.[2])).toBeGreaterThanOrEqual(total);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'admin-live-switch: served models move into the cheaper subset, and the router is restored',
    async () => {
      const before = await adminGetRouter();
      const out = await runOk('admin-live-switch');
      const lines = out.split('\n');
      const after = lines.filter((l) => l.startsWith('  after '));
      expect(after).toHaveLength(4);
      const cheapModels = new Set(
        ['gpt-4.1-mini', 'gpt-4.1-nano', 'llama-3.3-70b', 'llama-3.1-8b'].map(
          (name) => config.deployments.find((d) => d.name === name)!.model,
        ),
      );
      for (const line of after) {
        expect(line).toContain('[cost]');
        expect(cheapModels.has(servedModels(line)[0]!), line).toBe(true);
      }
      expectFleetModels(servedModels(out), 8);
      expect(out).toMatch(/^restored model-router: mode balanced, subset \[gpt-4\.1, /m);
      const now = await adminGetRouter();
      expect([now.routingMode, now.modelSubset]).toEqual([before.routingMode, before.modelSubset]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'batch: every line served by a fleet model, in input order, with usage, cost and savings',
    async () => {
      const out = await runOk('batch');
      expect(out).toMatch(/^requests: 6 completed, 0 failed of 6$/m);
      const rows = out
        .split('\n')
        .filter((l) => /^(greeting|sql|proof|summary|regex|haiku)\s/.test(l))
        .map((l) => l.split(/\s+/));
      expect(rows.map((r) => r[0])).toEqual([
        'greeting',
        'sql',
        'proof',
        'summary',
        'regex',
        'haiku',
      ]);
      for (const r of rows) expect(fleetModels.has(r[1]!), r.join(' ')).toBe(true);
      expect(out).toMatch(/^tokens: [1-9]\d* in \+ [1-9]\d* out$/m);
      expect(out).toMatch(/^cost: \$\d+\.\d{6} for 6 requests, \d+% less than the top model's/m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'web-search: only the searching model answers, and both APIs carry its citations',
    async () => {
      const out = await runOk('web-search');
      // The default config's only deployment that searches.
      const searcher = config.deployments.find((d) => d.capabilities.webSearch)!;
      expect(out).toContain(`chat: deployment: ${searcher.name}`);
      expect(servedModels(out)).toEqual([searcher.model, searcher.model]);
      expect(out).toMatch(
        /^chat: cites https:\/\/example\.com\/\S+ \("[^"]+ near Lyon"\) for characters 0-\d+$/m,
      );
      expect(out).toMatch(/^messages: cites https:\/\/example\.com\/\S+ /m);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'samples exit non-zero on failure: no admin key, and an unreachable router',
    async () => {
      const noKey = await runExample('admin-live-switch', { MODEL_ROUTER_ADMIN_KEY: '' });
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toContain('set MODEL_ROUTER_ADMIN_KEY');
      const down = await runExample('streaming', { MODEL_ROUTER_URL: 'http://127.0.0.1:9' });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('streaming failed:');
    },
    TEST_TIMEOUT_MS,
  );
});
