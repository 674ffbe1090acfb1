// The answer cache in the BUILT server, with the official `openai` SDK: a repeated request is a
// hit (JSON and streamed), the metrics and the SQLite request log say so, and `report` counts it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { runReport } from '../helpers/run-cli.js';
import { spawnServer } from '../helpers/spawn-server.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';

describe('answer cache, end to end', () => {
  it('answers a repeated request from the cache through the openai SDK, and logs and reports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-cache-'));
    const config = testConfigInput({
      cache: { enabled: true, ttlSeconds: 600 },
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    });
    const server = await spawnServer(config);
    try {
      const client = new OpenAI({
        baseURL: `${server.baseUrl}/v1`,
        apiKey: 'unused',
        maxRetries: 0,
      });
      const ask = {
        model: 'model-router',
        messages: [{ role: 'user' as const, content: 'Name a prime.' }],
      };
      const first = await client.chat.completions.create(ask).withResponse();
      expect(first.response.headers.get('x-router-cache')).toBe('miss');
      const second = await client.chat.completions.create(ask).withResponse();
      expect(second.response.headers.get('x-router-cache')).toBe('hit');
      expect(second.response.headers.get('age')).toMatch(/^\d+$/);
      expect(second.data.model).toBe(first.data.model);
      expect(second.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);

      const stream = await client.chat.completions
        .create({ ...ask, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      expect(stream.response.headers.get('x-router-cache')).toBe('hit');
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream.data) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe(first.data.choices[0]?.message.content);
      expect(usage?.total_tokens).toBe(first.data.usage?.total_tokens);

      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /model_router_cache_requests_total\{router="model-router",result="hit"\} 2/,
      );
      expect(metrics).toMatch(
        /model_router_cache_requests_total\{router="model-router",result="miss"\} 1/,
      );
    } finally {
      expect(await server.stop()).toBe(0); // SIGTERM: drain and flush the log
    }
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const report = runReport(configPath) as {
      requests: number;
      cacheHits: number;
      costUsd: number;
    };
    expect(report.requests).toBe(3);
    expect(report.cacheHits).toBe(2);
    // In the log: the hits cost nothing and saved what the answer cost on the top model.
    const db = new Database(join(dir, 'requests.db'), { readonly: true });
    const rows = db
      .prepare('SELECT cache, cost_usd, baseline_cost_usd FROM requests ORDER BY time, rowid')
      .all() as { cache: string; cost_usd: number; baseline_cost_usd: number }[];
    db.close();
    expect(rows.map((r) => r.cache)).toEqual(['miss', 'hit', 'hit']);
    const [miss, ...hits] = rows;
    expect(miss!.cost_usd).toBeGreaterThan(0);
    for (const h of hits)
      expect(h).toMatchObject({ cost_usd: 0, baseline_cost_usd: miss!.baseline_cost_usd });
    expect(report.costUsd).toBeCloseTo(miss!.cost_usd, 12);
    expect(runReport(configPath, [], false)).toContain('answered from the cache 2 (66.7%)');
  });

  it('answers a near-identical prompt semantically (cache.semantic): header, metrics label, log column', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-semantic-'));
    const config = testConfigInput({
      cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    });
    config.deployments.push(simEmbeddingDeployment('embed'));
    // Long enough that one word changed stays above 0.95 with the simulated embeddings (0.9764).
    const trip =
      'I am planning a two week trip to Portugal in the spring with my partner and we enjoy hiking good food and small towns away from the crowds so please suggest an itinerary that balances Lisbon Porto and the Douro valley with a few quiet days near the coast';
    const server = await spawnServer(config);
    try {
      const client = new OpenAI({
        baseURL: `${server.baseUrl}/v1`,
        apiKey: 'unused',
        maxRetries: 0,
      });
      const ask = (content: string) =>
        client.chat.completions
          .create({ model: 'model-router', messages: [{ role: 'user', content }] })
          .withResponse();
      const first = await ask(trip);
      expect(first.response.headers.get('x-router-cache')).toBe('miss');
      const second = await ask(trip.replace('suggest', 'propose'));
      expect(second.response.headers.get('x-router-cache')).toBe('semantic');
      expect(second.response.headers.get('x-router-cache-similarity')).toBe('0.9764');
      expect(second.data.choices[0]?.message.content).toBe(first.data.choices[0]?.message.content);
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(
        /model_router_cache_requests_total\{router="model-router",result="semantic"\} 1/,
      );
      // One vector kept: the first conversation's (the hit added none).
      const ready = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as {
        answer_cache: { semantic_entries?: number };
      };
      expect(ready.answer_cache.semantic_entries).toBe(1);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const db = new Database(join(dir, 'requests.db'), { readonly: true });
    const rows = db
      .prepare('SELECT cache, cost_usd, baseline_cost_usd FROM requests ORDER BY time, rowid')
      .all() as { cache: string; cost_usd: number; baseline_cost_usd: number }[];
    db.close();
    expect(rows.map((r) => r.cache)).toEqual(['miss', 'semantic']);
    // The semantic hit paid for its embedding call only, and saved the kept answer's baseline.
    expect(rows[1]!.cost_usd).toBeGreaterThan(0);
    expect(rows[1]!.cost_usd).toBeLessThan(rows[0]!.cost_usd);
    expect(rows[1]!.baseline_cost_usd).toBe(rows[0]!.baseline_cost_usd);
  });
});
