// Forwarding batch lines to a simulated deployment's Batch API (`batchApi`, in process): a batch
// created with `x-router-batch-forward: when-available` sends the chat lines routed to `cheap`
// (which has a Batch API) as one simulated upstream batch, not as live calls, and the line for
// `big` (which has none) live; the output keeps input order, and the request log has the
// forwarded lines at half price with their baseline at list price. A batch without the header
// (the default `batches.forward: never`) runs every line live, as before; a line the rules keep
// from the deployment (here a price ceiling) fails as it would live, and is not forwarded; and a
// router prices a deployment with a Batch API at its batch price for a line that may be held.
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { settle, submitBatch } from '../helpers/batch-client.js';
import { simDeployment, testConfig, testConfigInput } from '../helpers/test-config.js';

let rt: Runtime;
let base: string;
const records: RequestRecord[] = [];

beforeAll(async () => {
  const input = testConfigInput({
    batches: { pollIntervalMs: 50, forwardPollMs: 50 },
  });
  input.deployments.push(
    simDeployment('cheap', {
      prices: { inputPer1M: 2, outputPer1M: 8 },
      batchApi: { completesAfterMs: 0 },
    }),
  );
  // Two deployments the routing model takes for the same model (same `like`), so only price
  // decides between them: `twin-batch` dearer at list price, cheaper at its Batch API's.
  const like = 'llmrouter_9open.jsonl:qwen2.5-7b-instruct';
  input.deployments.push(
    simDeployment('twin-batch', {
      like,
      prices: { inputPer1M: 1, outputPer1M: 4 },
      batchApi: { completesAfterMs: 0 },
    }),
    simDeployment('twin-live', { like, prices: { inputPer1M: 0.8, outputPer1M: 3.2 } }),
  );
  input.routers!.push({
    name: 'twins',
    routingMode: 'cost',
    modelSubset: ['twin-batch', 'twin-live'],
  });
  rt = await createRuntime(testConfig(input), {
    recorder: { record: (r) => void records.push(r) },
  });
  base = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

const client = () => new OpenAI({ baseURL: `${base}/v1`, apiKey: 'none', maxRetries: 0 });
const chat = (id: string, model: string, content: string) => ({
  custom_id: id,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content }] },
});

async function runBatch(lines: object[], headers: Record<string, string>) {
  const c = client();
  const b = await settle(c, (await submitBatch(c, lines, headers)).id);
  const text = b.output_file_id ? await (await c.files.content(b.output_file_id)).text() : '';
  const out = text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map(
      (l) =>
        JSON.parse(l) as {
          custom_id: string;
          response: { status_code: number; body: { model: string } };
        },
    );
  return { batch: b, out, mine: records.filter((r) => r.tags?.includes(`batch:${b.id}`)) };
}

describe('batch lines forwarded to a simulated Batch API', () => {
  it('sends the lines routed to a deployment with a Batch API there, the rest live', async () => {
    const { batch, out, mine } = await runBatch(
      [chat('a', 'cheap', 'one'), chat('b', 'big', 'two'), chat('c', 'cheap', 'three')],
      { 'x-router-batch-forward': 'when-available' },
    );
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(out.map((l) => [l.custom_id, l.response.status_code, l.response.body.model])).toEqual([
      ['a', 200, 'cheap-sim'],
      ['b', 200, 'big-sim'],
      ['c', 200, 'cheap-sim'],
    ]);
    expect(mine).toHaveLength(3);
    for (const r of mine.filter((r) => r.deployment === 'cheap')) {
      expect(r.tags).toEqual(expect.arrayContaining(['batch', `batch:${batch.id}`]));
      const list = (r.promptTokens * 2 + r.completionTokens * 8) / 1e6;
      expect(r.costUsd).toBeCloseTo(list / 2, 12);
      expect(r.baselineCostUsd).toBeCloseTo(list, 12);
      expect(r.servedModel).toBe('cheap-sim');
    }
    const big = mine.find((r) => r.deployment === 'big')!;
    expect(big.costUsd).toBeCloseTo((big.promptTokens * 10 + big.completionTokens * 30) / 1e6, 12);
    expect(batch.usage?.total_tokens).toBe(
      mine.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0),
    );
  });

  it('routes a forwarding line at batch prices: the discount can change the pick', async () => {
    const live = await runBatch([chat('a', 'twins', 'Summarise this note.')], {});
    expect(live.mine.map((r) => r.deployment)).toEqual(['twin-live']);
    const held = await runBatch([chat('a', 'twins', 'Summarise this note.')], {
      'x-router-batch-forward': 'when-available',
    });
    expect(held.mine.map((r) => r.deployment)).toEqual(['twin-batch']);
    const r = held.mine[0]!;
    expect(r.costUsd).toBeCloseTo((r.promptTokens * 1 + r.completionTokens * 4) / 2e6, 12);
  });

  it('plans each line first: a line the rules keep from the deployment is not forwarded', async () => {
    const capped = chat('b', 'cheap', 'two');
    // A price ceiling under cheap's input price: cheap is not eligible for this line.
    Object.assign(capped.body, { provider: { max_price: { prompt: 1 } } });
    const { batch, out, mine } = await runBatch([chat('a', 'cheap', 'one'), capped], {
      'x-router-batch-forward': 'when-available',
    });
    expect(batch.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    expect(out.map((l) => l.custom_id)).toEqual(['a']);
    const c = client();
    const errors = (await (await c.files.content(batch.error_file_id!)).text()).trim().split('\n');
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!)).toMatchObject({
      custom_id: 'b',
      response: { status_code: expect.any(Number) },
    });
    const a = mine.find((r) => r.status === 200)!;
    expect(a.costUsd).toBeCloseTo(a.baselineCostUsd / 2, 12);
    expect(mine.find((r) => r.status !== 200)).toMatchObject({ costUsd: 0 });
  });

  it('runs every line live without the header (batches.forward defaults to never)', async () => {
    const { batch, mine } = await runBatch([chat('a', 'cheap', 'one')], {});
    expect(batch.status).toBe('completed');
    const r = mine[0]!;
    expect(r.costUsd).toBeCloseTo((r.promptTokens * 2 + r.completionTokens * 8) / 1e6, 12);
    expect(r.costUsd).toBe(r.baselineCostUsd);
  });

  it('refuses a bad forward header when the batch is created', async () => {
    const c = client();
    const file = await c.files.create({
      file: await toFile(Buffer.from(JSON.stringify(chat('a', 'cheap', 'x')) + '\n'), 'in.jsonl'),
      purpose: 'batch',
    });
    await expect(
      c.batches.create(
        { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' },
        { headers: { 'x-router-batch-forward': 'always' } },
      ),
    ).rejects.toMatchObject({ status: 400 });
  });
});
