// A replica killed (SIGKILL) in the middle of a batch: two built router processes share one
// PostgreSQL; the first runs the batch alone until part of it is done and is then killed without a
// chance to let go; the second takes the batch over when the lease runs out, sends only the lines
// that had no result kept, and completes it with every line in the output exactly once, in order;
// its webhook (`batch.completed`) comes once, from the replica that finished it. The upstream
// answers the first replica's first lines and then holds every call until the kill, so the first
// replica is mid-batch when killed however slowly the machine runs.
import { createServer } from 'node:http';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { listenServerInRange } from '../helpers/listen-in-range.js';
import { dropSchema, PG_URL, pgAvailable } from '../helpers/postgres.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const LINES = 200;
/** Lines the upstream answers before it holds every call until the first replica is killed. */
const BEFORE_KILL = 20;

const available = await pgAvailable('the batch takeover test');
const schema = `mr_takeover_${process.pid}_${Date.now()}`;
const started: SpawnedServer[] = [];
const HOOK_ENV = { MR_TAKEOVER_HOOK_SECRET: `whsec_${Buffer.alloc(32, 3).toString('base64')}` };
const hooks: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => (hooks.push({ headers: req.headers, body }), res.end()));
});

/**
 * An OpenAI-compatible upstream that answers `BEFORE_KILL` calls, then holds the rest until
 * `release()`: the answers they would have had, written then (a killed replica's are dropped).
 */
let answered = 0;
let released = false;
const held: (() => void)[] = [];
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-takeover',
          object: 'chat.completion',
          created: 1,
          model: 'slow',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
        }),
      );
    if (released || answered < BEFORE_KILL) {
      answered++;
      answer();
    } else held.push(answer);
  });
});
const release = () => {
  released = true;
  for (const answer of held.splice(0)) answer();
};

afterAll(async () => {
  for (const s of started) await s.stop('SIGKILL');
  await new Promise((r) => receiver.close(r));
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
  if (!available) return;
  await dropSchema(schema);
});

interface BatchView {
  status: string;
  request_counts: { total: number; completed: number; failed: number };
  output_file_id: string | null;
}

async function call<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function completedLines(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /model_router_batch_lines_total\{outcome="completed"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

describe.skipIf(!available)('a batch whose replica is killed mid-way', () => {
  it('is taken over by another replica and completed, each line once in the output', async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as { port: number };
    const upstreamPort = await listenServerInRange(upstream, 47_175, 47_199);
    const config: ConfigInput = testConfigInput({
      deployments: [
        simDeployment('slow', {
          provider: 'openai-compatible',
          model: 'slow',
          baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
          simulation: undefined,
        }),
      ],
      routers: [],
      requestLog: { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: schema },
      batches: {
        pollIntervalMs: 100,
        leaseSeconds: 2,
        concurrency: 2,
        webhooks: [{ url: `http://127.0.0.1:${port}/`, secretEnv: 'MR_TAKEOVER_HOOK_SECRET' }],
      },
    });
    const first = await spawnServer(config, HOOK_ENV);
    started.push(first);
    const form = new FormData();
    const lines = Array.from({ length: LINES }, (_, i) =>
      JSON.stringify({
        custom_id: `line-${i}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'slow', messages: [{ role: 'user', content: `question ${i}` }] },
      }),
    );
    form.append('purpose', 'batch');
    form.append('file', new Blob([lines.join('\n')]), 'takeover.jsonl');
    const file = await call<{ id: string }>(first.baseUrl, '/v1/files', {
      method: 'POST',
      body: form,
    });
    const batch = await call<{ id: string }>(first.baseUrl, '/v1/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    });
    // Let the first replica get part of the way (the lines the upstream answers, kept), then kill
    // it where it stands, its next lines waiting on the upstream.
    let seen: BatchView;
    for (;;) {
      seen = await call<BatchView>(first.baseUrl, `/v1/batches/${batch.id}`);
      if (seen.request_counts.completed >= BEFORE_KILL) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.stop('SIGKILL');
    expect(seen.status).toBe('in_progress');
    expect(seen.request_counts.completed).toBe(BEFORE_KILL);
    release();

    const second = await spawnServer(config, HOOK_ENV);
    started.push(second);
    let done: BatchView;
    const until = Date.now() + 60_000;
    for (;;) {
      done = await call<BatchView>(second.baseUrl, `/v1/batches/${batch.id}`);
      if (done.status === 'completed' || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(done.status).toBe('completed');
    expect(done.request_counts).toEqual({ total: LINES, completed: LINES, failed: 0 });
    const output = await (
      await fetch(`${second.baseUrl}/v1/files/${done.output_file_id}/content`)
    ).text();
    const ids = output
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
    expect(ids).toEqual(lines.map((_, i) => `line-${i}`));
    // The second replica sent only what had no kept result: at most what the first had not
    // reported done when it was killed (a line in flight then is sent again).
    const resent = await completedLines(second.baseUrl);
    expect(resent).toBeGreaterThan(0);
    expect(resent).toBeLessThanOrEqual(LINES - seen.request_counts.completed);
    // The batch's end is announced once, by the replica that finished it.
    while (hooks.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(hooks).toHaveLength(1);
    const event = await new OpenAI({ apiKey: 'unused' }).webhooks.unwrap(
      hooks[0]!.body,
      hooks[0]!.headers,
      HOOK_ENV.MR_TAKEOVER_HOOK_SECRET,
    );
    expect(event).toMatchObject({ type: 'batch.completed', data: { id: batch.id } });
    const metrics = await (await fetch(`${second.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /model_router_batch_webhooks_total\{event="batch.completed",outcome="delivered"\} 1\n/,
    );
  }, 90_000);
});
