// The routers the accessibility suite audits: one with every kind of row the dashboard draws
// (requests served, failed over, failed and refused; tags, a cache hit, feedback; OpenAI and
// Anthropic batches; a batch webhook delivery given up), and one that has seen nothing.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { listenServerInRange } from '../helpers/listen-in-range.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { failingCheapDeployment, simDeployment, testConfigInput } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

export const A11Y_ADMIN = 'mr-dashboard-a11y-admin-key';
const HOOK_SECRET_ENV = 'MR_A11Y_HOOK_SECRET';
const HOOK_SECRET = `whsec_${Buffer.from('model-router dashboard a11y hook secret').toString('base64')}`;

export interface A11yFleet {
  seeded: SpawnedServer;
  empty: SpawnedServer;
  stop(): Promise<void>;
}

/** A loopback server in the suite's port range (E2E_PORT_RANGE) when one is set. */
async function listenLoopback(server: Server): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORT_RANGE ?? '');
  if (range) return listenServerInRange(server, Number(range[1]), Number(range[2]));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const requestLog = (name: string) => ({
  kind: 'sqlite' as const,
  sqlitePath: join(mkdtempSync(join(tmpdir(), `mr-a11y-${name}-`)), 'requests.db'),
});

async function post(server: SpawnedServer, path: string, body: object, headers = {}) {
  const r = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: r.status,
    headers: r.headers,
    body: (await r.json()) as Record<string, unknown>,
  };
}

/** Chat requests of every outcome the tables and charts show. */
async function seedChats(server: SpawnedServer): Promise<void> {
  const chat = (model: string, i: number, extra: object = {}, headers = {}) =>
    post(
      server,
      '/v1/chat/completions',
      { model, messages: [{ role: 'user', content: `question ${i}` }], ...extra },
      headers,
    );
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await chat(
      i % 3 === 0 ? 'big' : 'model-router',
      i,
      i % 4 === 0 ? { user: 'al' } : {},
      {
        ...(i < 4 ? { 'x-router-tags': 'onboarding' } : {}),
      },
    );
    expect(r.status).toBe(200);
    ids.push(r.headers.get('x-request-id') ?? '');
  }
  expect((await chat('model-router', 5)).status).toBe(200); // asked again: a cache hit
  expect((await chat('failover-router', 20)).status).toBe(200); // flaky's 500, then small
  expect((await chat('broken-router', 21)).status).toBe(500); // every try failed
  expect((await chat('llama-router', 22)).status).toBe(200);
  expect((await chat('no-such-model', 23)).status).toBe(404); // reaches no deployment
  const feedback = await post(server, '/v1/feedback', { request_id: ids[1], score: 1 });
  expect(feedback.status).toBeLessThan(300);
}

/** An OpenAI and an Anthropic batch; the webhook receiver refuses their deliveries (given up). */
async function seedBatches(server: SpawnedServer): Promise<void> {
  const line = (i: number) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'small', messages: [{ role: 'user', content: `batch question ${i}` }] },
    });
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([`${line(0)}\n${line(1)}\n`]), 'in.jsonl');
  const file = (await (
    await fetch(`${server.baseUrl}/v1/files`, { method: 'POST', body: form })
  ).json()) as { id: string };
  const openai = await post(server, '/v1/batches', {
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  expect(openai.status).toBe(200);
  const anthropic = await post(server, '/v1/messages/batches', {
    requests: [
      {
        custom_id: 'm0',
        params: { model: 'small', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] },
      },
    ],
  });
  expect(anthropic.status).toBe(200);
  const givenUp = async () => {
    const r = await fetch(`${server.baseUrl}/admin/v1/batch-webhooks?status=failed`, {
      headers: { authorization: `Bearer ${A11Y_ADMIN}` },
    });
    return ((await r.json()) as { data: unknown[] }).data.length;
  };
  // Outside a test (the suite's beforeAll): waitFor, as expect.poll needs a test.
  await waitFor(async () => expect(await givenUp()).toBeGreaterThanOrEqual(2), {
    timeout: 20_000,
    interval: 100,
  });
}

export async function startA11yFleet(): Promise<A11yFleet> {
  // Refuses every delivery (one try each): the webhooks table shows them given up, with Retry.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end());
  });
  const hookPort = await listenLoopback(receiver);
  const base = testConfigInput();
  const auth = { mode: 'none' as const, adminKeyEnv: 'MR_TEST_ADMIN' };
  const seeded = await spawnServer(
    testConfigInput({
      deployments: [
        ...base.deployments,
        failingCheapDeployment('flaky'),
        simDeployment('llama', { model: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' }),
      ],
      routers: [
        ...(base.routers ?? []),
        { name: 'failover-router', routingMode: 'cost', modelSubset: ['flaky', 'small'] },
        { name: 'broken-router', routingMode: 'cost', modelSubset: ['flaky'] },
        { name: 'llama-router', modelSubset: ['llama'] },
      ],
      auth,
      cache: { enabled: true },
      batches: {
        pollIntervalMs: 50,
        webhookAttempts: 1,
        webhooks: [{ url: `http://127.0.0.1:${hookPort}/hooks`, secretEnv: HOOK_SECRET_ENV }],
      },
      requestLog: requestLog('seeded'),
    }),
    { MR_TEST_ADMIN: A11Y_ADMIN, [HOOK_SECRET_ENV]: HOOK_SECRET },
  );
  // The empty router starts while the seeded one is seeded.
  const starting = spawnServer(testConfigInput({ auth, requestLog: requestLog('empty') }), {
    MR_TEST_ADMIN: A11Y_ADMIN,
  });
  let emptyServer: SpawnedServer;
  try {
    await seedChats(seeded);
    await seedBatches(seeded);
    emptyServer = await starting;
  } catch (err) {
    await Promise.all([seeded.stop(), starting.then((e) => e.stop()).catch(() => {})]);
    receiver.close();
    throw err;
  }
  return {
    seeded,
    empty: emptyServer,
    stop: async () => {
      await Promise.all([seeded.stop(), emptyServer.stop()]);
      await new Promise((r) => receiver.close(r));
    },
  };
}
