// `/v1/moderations` through the BUILT router with the official `openai` SDK
// (`moderations.create`): the simulated omni-moderation model (string, array, multi-modal, the
// default model), errors in OpenAI's shape, a key scoped elsewhere refused, a pool of two
// OpenAI-compatible loopback upstreams failing over, and what the request log and the metrics
// say of it all.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simModerationDeployment, testConfigInput } from '../helpers/test-config.js';

const KEY = 'mr-e2e-moderation-key-0123456789';
const CHAT_KEY = 'mr-e2e-chat-only-key-0123456789';
const ADMIN_KEY = 'mr-e2e-admin-key-0123456789abcdef';

const calls: { url: string; body: Record<string, unknown> }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

/** OpenAI's reply for one unflagged input (what a real upstream sends; the fake sends it). */
const unflagged = {
  flagged: false,
  categories: { violence: false },
  category_scores: { violence: 0.0001 },
  category_applied_input_types: { violence: ['text'] },
};

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    calls.push({ url: req.url ?? '', body });
    if (req.url?.startsWith('/down/')) {
      res.writeHead(503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'modr-up-1',
        model: 'omni-moderation-2024-09-26',
        results: [unflagged],
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const upstreamModeration = (name: string) => ({
    name,
    kind: 'moderation' as const,
    provider: 'openai-compatible' as const,
    model: 'omni-moderation-latest',
    baseUrl: `${base}/${name}/v1`,
    prices: { inputPer1M: 0, outputPer1M: 0 },
    contextWindow: 32_768,
  });
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      adminKeyEnv: 'MODEL_ROUTER_ADMIN_KEY',
      keys: [
        { id: 'mods', hash: hashApiKey(KEY), tenant: 'team-m' },
        { id: 'chat', hash: hashApiKey(CHAT_KEY), tenant: 'team-c', scopes: ['model-router'] },
      ],
    },
    requestLog: {
      kind: 'sqlite',
      sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-mod-')), 'log.db'),
    },
    pools: [{ name: 'mod-pool', deployments: ['down', 'up'], strategy: 'priority' }],
  });
  input.deployments.push(
    simModerationDeployment('omni-moderation-latest'),
    upstreamModeration('down'),
    upstreamModeration('up'),
  );
  server = await spawnServer(input, { MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY });
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY, maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const flaggedOf = (r: OpenAI.Moderation) =>
  Object.entries(r.categories)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort();

describe('moderations through the built router with the openai SDK', () => {
  it('a string, with the default model (omni-moderation-latest) when none is named', async () => {
    const { data, response } = await client.moderations
      .create({ input: 'I want to kill them.' })
      .withResponse();
    expect(data.id).toMatch(/^modr-/);
    expect(data.model).toBe('omni-moderation-latest');
    expect(response.headers.get('x-router-deployment')).toBe('omni-moderation-latest');
    expect(data.results).toHaveLength(1);
    expect(data.results[0]!.flagged).toBe(true);
    expect(flaggedOf(data.results[0]!)).toEqual([
      'harassment',
      'harassment/threatening',
      'violence',
    ]);
    expect(Object.keys(data.results[0]!.category_scores)).toHaveLength(13);
    expect(data.results[0]!.category_applied_input_types.violence).toEqual(['text']);
  });

  it('an array of strings: one result each, in order', async () => {
    const data = await client.moderations.create({
      model: 'omni-moderation-latest',
      input: ['Thanks for your help!', 'flag:self-harm/intent', 'you worthless idiot'],
    });
    expect(data.results.map((r) => r.flagged)).toEqual([false, true, true]);
    expect(flaggedOf(data.results[1]!)).toEqual(['self-harm', 'self-harm/intent']);
    expect(flaggedOf(data.results[2]!)).toEqual(['harassment']);
  });

  it('a multi-modal input (text and image_url parts): one result, image categories applied to both', async () => {
    const data = await client.moderations.create({
      model: 'omni-moderation-latest',
      input: [
        { type: 'text', text: 'Describe this picture.' },
        { type: 'image_url', image_url: { url: 'https://example.com/scenes/gore.png' } },
      ],
    });
    expect(data.results).toHaveLength(1);
    const r = data.results[0]!;
    expect(flaggedOf(r)).toEqual(['violence', 'violence/graphic']);
    expect(r.category_applied_input_types['violence/graphic']).toEqual(['text', 'image']);
    expect(r.category_applied_input_types.harassment).toEqual(['text']);
  });

  it('errors in OpenAI’s shape: a bad input part (param), a chat model, a key scoped elsewhere', async () => {
    await expect(
      client.moderations.create({
        input: [{ type: 'image_url', image_url: {} } as unknown as OpenAI.ModerationImageURLInput],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'input[0].image_url.url' });
    await expect(
      client.moderations.create({ model: 'model-router', input: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 'model_not_moderation', param: 'model' });
    const chatOnly = new OpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: CHAT_KEY,
      maxRetries: 0,
    });
    const refused = await chatOnly.moderations.create({ input: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((refused as InstanceType<typeof OpenAI.PermissionDeniedError>).status).toBe(403);
  });

  it('a pool of two upstreams fails over from the one that answers 503; the log and metrics say so', async () => {
    const { data, response } = await client.moderations
      .create({ model: 'mod-pool', input: 'hello there' })
      .withResponse();
    expect(data).toMatchObject({ id: 'modr-up-1', model: 'omni-moderation-2024-09-26' });
    expect(data.results[0]!.flagged).toBe(false);
    expect(response.headers.get('x-router-deployment')).toBe('up');
    expect(response.headers.get('x-router-attempts')).toBe('2');
    expect(calls.map((c) => c.url)).toEqual(['/down/v1/moderations', '/up/v1/moderations']);
    // Each upstream was sent its own model name and the client's input, untouched.
    expect(calls[1]!.body).toEqual({ model: 'omni-moderation-latest', input: 'hello there' });

    // The request log (SQLite here): rows of endpoint `moderations`, at no cost.
    const admin = { authorization: `Bearer ${ADMIN_KEY}` };
    let rows: {
      key: string;
      requests: number;
      errors: number;
      invalidRequests: number;
      costUsd: number;
    }[] = [];
    // The log writer batches its rows off the hot path: wait for them to land.
    for (let i = 0; i < 50; i++) {
      const usage = await fetch(`${server.baseUrl}/admin/v1/usage?since=1h&by=endpoint`, {
        headers: admin,
      });
      expect(usage.status).toBe(200);
      rows = ((await usage.json()) as { groups: typeof rows }).groups;
      if (rows.find((g) => g.key === 'moderations')?.requests === 7) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const moderations = rows.find((g) => g.key === 'moderations');
    // 3 served by the simulated model, 1 by the pool; refused as invalid, apart from the errors:
    // 1 out of scope (403: the client's to fix since 2026-12-06, tour audit F11), 1 naming a
    // router (400) and a body refused before a model is resolved (the image part's url), logged
    // as with the other endpoints.
    expect(moderations).toMatchObject({ requests: 7, costUsd: 0, errors: 0, invalidRequests: 3 });
    const byDeployment = await fetch(`${server.baseUrl}/admin/v1/usage?since=1h&by=deployment`, {
      headers: admin,
    });
    const up = ((await byDeployment.json()) as { groups: typeof rows }).groups.find(
      (g: { key: string }) => g.key === 'up',
    );
    expect(up).toMatchObject({ requests: 1 });

    // Prometheus: the request, by the deployment that served it.
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /model_router_requests_total\{router="mod-pool",model="omni-moderation-2024-09-26",deployment="up",status="200"\} 1/,
    );
    expect(metrics).toMatch(
      /model_router_failovers_total\{router="mod-pool",deployment="down",error="[^"]+"\} 1/,
    );
  });
});
