// Background responses across two real router processes (the built server) sharing one Redis and
// one PostgreSQL, with the official `openai` SDK: a response one replica runs is seen running on the
// other, cancelled through the other (the cancel reaches the running process and ends its upstream
// call), and a streamed one is resumed on the other from the events the first keeps.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, pgAvailable } from '../helpers/postgres.js';
import { spawnServers, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';
import { REDIS_URL, cleanupPrefix, redisAvailable, uniquePrefix } from '../redis/redis-helpers.js';

const available =
  (await redisAvailable()) && (await pgAvailable('the two-router background-response test'));

describe.skipIf(!available)('background responses on two routers', () => {
  const prefix = uniquePrefix('background');
  const schema = `mr_bg_scale_${process.pid}_${Date.now()}`;
  let a: SpawnedServer;
  let b: SpawnedServer;
  const client = (s: SpawnedServer) =>
    new OpenAI({ baseURL: `${s.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  const running = async (s: SpawnedServer) =>
    (
      (await (await fetch(`${s.baseUrl}/readyz`)).json()) as {
        background_responses: { running: number };
      }
    ).background_responses.running;

  beforeAll(async () => {
    const config = testConfigInput({
      state: { kind: 'redis', redisUrl: REDIS_URL, prefix, commandTimeoutMs: 2000 },
      requestLog: { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: schema },
    });
    config.deployments.push(
      // Holds its first token for ten minutes: caught running.
      simDeployment('slow', {
        simulation: { ttftMs: 600_000, tokensPerSecond: 1_000_000, answerTokens: 20 },
        firstTokenTimeoutMs: 600_000,
      }),
      // Streams 40 tokens at 20 a second: still streaming when the other replica joins.
      simDeployment('steady', {
        simulation: { ttftMs: 0, tokensPerSecond: 20, answerTokens: 40 },
      }),
    );
    [a, b] = (await spawnServers([{ config }, { config }])) as [SpawnedServer, SpawnedServer];
  });

  afterAll(async () => {
    await Promise.all([a, b].map((s) => s?.stop()));
    await cleanupPrefix(prefix);
    await dropSchema(schema);
  });

  it('one replica cancels what the other runs, and the other stops its upstream call', async () => {
    const created = await client(a).responses.create({
      model: 'slow',
      input: 'Take your time',
      background: true,
    });
    expect(created.status).toBe('queued');
    let seen = await client(b).responses.retrieve(created.id);
    while (seen.status === 'queued') seen = await client(b).responses.retrieve(created.id);
    expect(seen.status).toBe('in_progress');
    expect(await running(a)).toBe(1);
    expect(await running(b)).toBe(0);
    const cancelled = await client(b).responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    // Replica A was holding a ten-minute first token: the cancel reached it and the run ended.
    while ((await running(a)) > 0) await new Promise((r) => setTimeout(r, 20));
    expect((await client(a).responses.retrieve(created.id)).status).toBe('cancelled');
  });

  it('a stream started on one replica is resumed on the other', async () => {
    const stream = await client(a).responses.create({
      model: 'steady',
      input: 'Tell me a story',
      background: true,
      stream: true,
    });
    let id = '';
    let last = -1;
    let text = '';
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta') text += event.delta;
      last = event.sequence_number;
      if (event.type === 'response.output_text.delta') break; // the client drops mid-stream
    }
    const resumed = (await client(b).responses.retrieve(id, {
      stream: true,
      starting_after: last,
    })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
    const sequence: number[] = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of resumed) {
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') final = event.response;
    }
    expect(sequence).toEqual(sequence.map((_, i) => last + 1 + i));
    expect(final?.status).toBe('completed');
    const stored = await client(b).responses.retrieve(id);
    expect(stored.output_text).toBe(text);
  });
});
