// Rerank through the BUILT router (a child process, as a user runs it) with a plain HTTP client:
// Cohere's v2 path and the /v1 one, the simulated reranker and an OpenAI-compatible (vLLM-shaped)
// loopback upstream behind a pool whose first member is down; what the SQLite request log
// (`/admin/v1/usage?by=endpoint`) and the Prometheus metrics say of them, costs included.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const ADMIN_KEY = 'mr-e2e-admin-key-rerank-0123456789';
let server: SpawnedServer;
let upstream: Server;
const upstreamSaw: { url: string; auth: string | undefined; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  // A vLLM-shaped reranker (its `/v1/rerank` reply: id, model, usage, results with documents).
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { documents: string[] };
    upstreamSaw.push({ url: req.url ?? '', auth: req.headers.authorization, body });
    if (req.url?.startsWith('/down/')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ object: 'error', message: 'boom', code: 500 }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'rerank-vllm-1',
        model: 'BAAI/bge-reranker-v2-m3',
        usage: { total_tokens: 1_000 },
        results: body.documents.map((text, index) => ({
          index,
          document: { text },
          relevance_score: index / body.documents.length,
        })),
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const rerank = (name: string, extra: object) =>
    simDeployment(name, {
      kind: 'rerank',
      model: name,
      maxOutputTokens: undefined,
      contextWindow: 8192,
      prices: { inputPer1M: 0, outputPer1M: 0, perSearchUnit: 0.002 },
      ...extra,
    });
  const input = testConfigInput({
    auth: { mode: 'keys', adminKeyEnv: 'MODEL_ROUTER_ADMIN_KEY', keys: [] },
    requestLog: {
      kind: 'sqlite',
      sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-rerank-')), 'log.db'),
    },
    pools: [{ name: 'bge', deployments: ['bge-down', 'bge-up'], strategy: 'priority' }],
  });
  const upstreamRerank = (name: string, base: string) =>
    rerank(name, {
      provider: 'openai-compatible',
      model: 'BAAI/bge-reranker-v2-m3',
      baseUrl: base,
      apiKeyEnv: 'VLLM_KEY',
      simulation: undefined,
      // Priced by tokens, as a self-hosted reranker's cost is best seen.
      prices: { inputPer1M: 50, outputPer1M: 0 },
    });
  input.deployments.push(
    rerank('rerank-v3.5', {}),
    upstreamRerank('bge-down', `${up}/down/v1`),
    upstreamRerank('bge-up', `${up}/v1`),
  );
  server = await spawnServer(input, { MODEL_ROUTER_ADMIN_KEY: ADMIN_KEY, VLLM_KEY: 'sk-vllm' });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const post = (path: string, body: object, key = ADMIN_KEY) =>
  fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('rerank through the built router', () => {
  it("Cohere's v2 path on the simulated reranker, a pool failing over to a vLLM upstream, logged and counted", async () => {
    expect(
      (await post('/v2/rerank', { model: 'rerank-v3.5', query: 'q', documents: ['a'] }, 'nope'))
        .status,
    ).toBe(401);
    const cohere = await post('/v2/rerank', {
      model: 'rerank-v3.5',
      query: 'which city is the capital of France',
      documents: ['Berlin is in Germany.', 'Paris is the capital of France.', 'Cats nap.'],
      top_n: 2,
    });
    expect(cohere.status).toBe(200);
    const reply = (await cohere.json()) as {
      results: { index: number; relevance_score: number }[];
      meta: { billed_units: { search_units: number } };
      model: string;
    };
    expect(reply.results.map((r) => r.index)).toEqual([1, 0]);
    expect(reply.meta.billed_units.search_units).toBe(1);
    expect(reply.model).toBe('rerank-v3.5');

    const pool = await post('/v1/rerank', {
      model: 'bge',
      query: 'q',
      documents: ['a', { text: 'b' }, 'c', 'd'],
      return_documents: true,
    });
    expect(pool.status).toBe(200);
    expect(pool.headers.get('x-router-deployment')).toBe('bge-up');
    expect(pool.headers.get('x-router-attempts')).toBe('2');
    const pooled = (await pool.json()) as {
      results: { index: number; document: { text: string } }[];
      model: string;
      usage: { total_tokens: number };
    };
    expect(pooled.results.map((r) => [r.index, r.document.text])).toEqual([
      [3, 'd'],
      [2, 'c'],
      [1, 'b'],
      [0, 'a'],
    ]);
    expect(pooled.model).toBe('BAAI/bge-reranker-v2-m3');
    expect(pooled.usage.total_tokens).toBe(1_000);
    expect(upstreamSaw.map((s) => s.url)).toEqual(['/down/v1/rerank', '/v1/rerank']);
    expect(upstreamSaw[1]!.auth).toBe('Bearer sk-vllm');
    expect(upstreamSaw[1]!.body.documents).toEqual(['a', 'b', 'c', 'd']);

    type Group = { key: string; requests: number; costUsd: number };
    let rows: Group[] = [];
    // The log writer batches its rows off the hot path: wait for them to land.
    for (let i = 0; i < 50; i++) {
      const usage = await fetch(`${server.baseUrl}/admin/v1/usage?since=1h&by=endpoint`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      rows = ((await usage.json()) as { groups: Group[] }).groups;
      if (rows.find((g) => g.key === 'rerank')?.requests === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const row = rows.find((g) => g.key === 'rerank');
    // The 401 never reached the gateway; the two served: one search unit, 1,000 tokens at 50/1M.
    expect(row).toMatchObject({ requests: 2 });
    expect(row!.costUsd).toBeCloseTo(0.002 + 0.05, 10);

    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /model_router_requests_total\{router="",model="rerank-v3.5",deployment="rerank-v3.5",status="200"\} 1\n/,
    );
    expect(metrics).toMatch(
      /model_router_cost_usd_total\{router="bge",model="BAAI\/bge-reranker-v2-m3",deployment="bge-up"\} 0\.05\n/,
    );
  });
});
