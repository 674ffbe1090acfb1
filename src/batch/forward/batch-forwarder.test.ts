// The forwarder inside the runner, over the in-memory store, with a fake upstream Batch API and a
// fake sender standing in for the gateway (it holds every line offered for `gpt`): lines go up as
// one upstream batch in input order; a replica that takes the batch over polls the upstream batch
// it finds in the doc instead of submitting again; results come back in input order at the
// discounted price; a retryable upstream result runs live; a cancel cancels the upstream batch and
// the lines it did not answer go to the error file as cancelled, and so does the batch running out
// of time (on an injected clock), its lines then expired; the budgets and the output filter.
import { describe, expect, it } from 'vitest';
import { createTestBatch } from '../../../test/helpers/batch-fixtures.js';
import { parseConfig } from '../../config/load-config.js';
import { compileConfig, ConfigHolder } from '../../config/runtime-config.js';
import { createManualClock, systemClock, type Clock } from '../../core/clock.js';
import { ANONYMOUS, type GatewayPolicies, type SettleInfo } from '../../gateway/gateway-types.js';
import type {
  ProviderAdapter,
  ProviderBatchLine,
  ProviderBatchState,
} from '../../providers/types.js';
import type { BatchStore } from '../../store/batch-store.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { RequestRecord } from '../../store/request-record.js';
import { simDeployment } from '../../../test/helpers/test-config.js';
import type { BatchLine } from '../batch-input.js';
import { batchObject, readDoc } from '../batch-object.js';
import type { LineBatch } from '../batch-runner-deps.js';
import { BatchRunner } from '../batch-runner.js';
import { BatchForwarder } from './batch-forwarder.js';

const OWNER = 'acme';
const config = parseConfig(
  {
    deployments: [
      simDeployment('gpt', {
        prices: { inputPer1M: 1, outputPer1M: 2 },
        batchApi: { discount: 0.5 },
      }),
      simDeployment('gpt2', { batchApi: { maxLines: 2 } }),
      simDeployment('other'),
    ],
    batches: { forward: 'when-available', forwardPollMs: 50 },
  },
  {},
).config;
const holder = new ConfigHolder(compileConfig(config));

async function setUp(store: BatchStore, models: string[], expiresAt = Date.now() + 60_000) {
  const content = Buffer.from(
    models
      .map((model, i) =>
        JSON.stringify({
          custom_id: `r${i}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model, messages: [{ role: 'user', content: `q${i}` }] },
        }),
      )
      .join('\n'),
  );
  await store.putFile(
    { id: 'file-in', owner: OWNER, purpose: 'batch', filename: 'in.jsonl', bytes: 1, createdAt: 1 },
    content,
  );
  await createTestBatch(store, { id: 'batch_1', owner: OWNER, expiresAt });
}

/** A fake upstream Batch API: `state` answers each poll. */
function fakeUpstream(
  state: (id: string, lines: readonly ProviderBatchLine[]) => ProviderBatchState,
) {
  const submitted: ProviderBatchLine[][] = [];
  const cancelled: string[] = [];
  let polls = 0;
  const api = {
    submit: (lines: readonly ProviderBatchLine[]) => {
      submitted.push([...lines]);
      return Promise.resolve(`up_${submitted.length}`);
    },
    poll: (id: string) => {
      polls++;
      return Promise.resolve(state(id, submitted[Number(id.slice(3)) - 1]!));
    },
    cancel: (id: string) => {
      cancelled.push(id);
      return Promise.resolve();
    },
  };
  return { api, submitted, cancelled, polls: () => polls };
}

const answer = (customId: string, status = 200) => ({
  customId,
  status,
  body:
    status === 200
      ? {
          model: 'gpt-up-2025',
          choices: [{ index: 0, message: { role: 'assistant', content: `a ${customId}` } }],
          usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
        }
      : { error: { message: 'boom' } },
});

function runnerWith(
  store: BatchStore,
  upstream: ReturnType<typeof fakeUpstream>['api'],
  records: RequestRecord[],
  live: string[],
  policies?: GatewayPolicies,
  clock: Clock = systemClock,
) {
  const adapter = { batchApi: upstream } as unknown as ProviderAdapter;
  const forwarder = new BatchForwarder({
    ...(policies ? { policies } : {}),
    config: holder,
    clock,
    recorder: { record: (r) => void records.push(r) },
    adapters: { adapterFor: () => adapter },
    callerFor: () => ANONYMOUS,
    log: { warn: () => {}, info: () => {} },
  });
  // The gateway's part: a line for gpt with an offer is held; anything else answers live.
  const send = (line: BatchLine, requestId: string, batch: LineBatch) => {
    const model = line.body.model as string;
    const d = holder.current.deployments.get(model)!;
    if (batch.forward?.accepts(d)) {
      batch.forward.hold({
        deployment: d,
        body: { model: 'gpt-up', messages: line.body.messages as never },
        promptTokens: 90,
        top: d,
        tags: ['batch', `batch:${batch.id}`],
      });
      return Promise.resolve({ status: 202, headers: {}, body: '{}' });
    }
    live.push(line.customId);
    return Promise.resolve({
      status: 200,
      headers: {},
      body: JSON.stringify({
        model: `${model}-live`,
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      }),
    });
  };
  return new BatchRunner({
    store,
    clock,
    settings: () => ({
      concurrency: 2,
      maxActive: 4,
      maxAttempts: 3,
      maxRequests: 1_000,
      pollIntervalMs: 50,
    }),
    callerFor: () => ANONYMOUS,
    send: (line, _auth, requestId, batch) => send(line, requestId, batch),
    log: { warn: () => {}, info: () => {} },
    leaseMs: 600,
    retryBaseMs: 5,
    forwarder,
  });
}

async function until<T>(
  what: () => Promise<T | undefined> | T | undefined,
  ms = 5_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const fileLines = async (store: BatchStore, id: unknown) =>
  (await store.getFileContent(id as string, OWNER))!
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('BatchForwarder', () => {
  it('submits once; a replica that takes over polls the upstream batch instead of resubmitting', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'other', 'gpt', 'gpt']);
    let finished = false;
    const up = fakeUpstream(() =>
      finished
        ? {
            done: true,
            status: 'completed',
            // Out of order, and line-3 failed retryably: it runs live.
            results: [answer('line-2'), answer('line-3', 500), answer('line-0')],
          }
        : { done: false, status: 'in_progress' },
    );
    const records: RequestRecord[] = [];
    const live: string[] = [];
    const first = runnerWith(store, up.api, records, live);
    first.start();
    await until(() => (up.submitted.length > 0 ? true : undefined));
    await until(async () =>
      readDoc((await store.findBatch('batch_1'))!).forward?.groups.length ? true : undefined,
    );
    await first.stop();
    expect(up.submitted).toHaveLength(1);
    expect(up.submitted[0]!.map((l) => [l.customId, l.body.model])).toEqual([
      ['line-0', 'gpt-up'],
      ['line-2', 'gpt-up'],
      ['line-3', 'gpt-up'],
    ]);
    expect(live).toEqual(['r1']);

    // Another replica takes the batch over: it finds the upstream batch in the doc.
    finished = true;
    const second = runnerWith(store, up.api, records, live);
    second.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'completed' ? batchObject(b) : undefined;
    });
    await second.stop();
    expect(up.submitted).toHaveLength(1);
    expect(live).toEqual(['r1', 'r3']);
    expect(done.request_counts).toEqual({ total: 4, completed: 4, failed: 0 });
    const out = await fileLines(store, done.output_file_id);
    expect(
      out.map((l) => [l.custom_id, (l.response as { body: { model: string } }).body.model]),
    ).toEqual([
      ['r0', 'gpt-up-2025'],
      ['r1', 'other-live'],
      ['r2', 'gpt-up-2025'],
      ['r3', 'gpt-live'],
    ]);
    expect(records).toHaveLength(2);
    const list = (100 * 1 + 50 * 2) / 1e6;
    for (const r of records) {
      expect(r).toMatchObject({ deployment: 'gpt', servedModel: 'gpt-up-2025', status: 200 });
      expect(r.tags).toEqual(['batch', 'batch:batch_1']);
      expect(r.costUsd).toBeCloseTo(list / 2, 15);
      expect(r.baselineCostUsd).toBeCloseTo(list, 15);
    }
  });

  it('settles forwarded spend with the budgets and passes answers through the output filter', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt']);
    const up = fakeUpstream(() => ({
      done: true,
      status: 'completed',
      results: [answer('line-0')],
    }));
    const settled: SettleInfo[] = [];
    const policies: GatewayPolicies = {
      settle: (_ctx, outcome) => void settled.push(outcome),
      filterOutput: (response) => ({
        ...response,
        choices: response.choices.map((c) => ({
          ...c,
          message: { ...c.message, content: '[redacted]' },
        })),
      }),
    };
    const runner = runnerWith(store, up.api, [], [], policies);
    runner.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'completed' ? batchObject(b) : undefined;
    });
    await runner.stop();
    const [line] = await fileLines(store, done.output_file_id);
    expect(
      (line!.response as { body: { choices: { message: { content: string } }[] } }).body.choices[0]!
        .message.content,
    ).toBe('[redacted]');
    expect(settled).toHaveLength(1);
    expect(settled[0]!.costUsd).toBeCloseTo((100 * 1 + 50 * 2) / 1e6 / 2, 15);
    expect(settled[0]!.deployment?.name).toBe('gpt');
  });

  it("cuts a deployment's lines into upstream batches of at most its maxLines", async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt2', 'gpt2', 'gpt2', 'gpt2', 'gpt2']);
    const up = fakeUpstream((_id, lines) => ({
      done: true,
      status: 'completed',
      results: lines.map((l) => answer(l.customId)),
    }));
    const runner = runnerWith(store, up.api, [], []);
    runner.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'completed' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(up.submitted.map((run) => run.map((l) => l.customId))).toEqual([
      ['line-0', 'line-1'],
      ['line-2', 'line-3'],
      ['line-4'],
    ]);
    expect((await fileLines(store, done.output_file_id)).map((l) => l.custom_id)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4',
    ]);
  });

  it('a cancel cancels the upstream batch; lines it did not answer are cancelled', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt', 'gpt']);
    const up = fakeUpstream((id) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer('line-1')] }
        : { done: false, status: 'in_progress' },
    );
    const records: RequestRecord[] = [];
    const runner = runnerWith(store, up.api, records, []);
    runner.start();
    await until(() => (up.submitted.length > 0 ? true : undefined));
    await until(() => (up.polls() > 0 ? true : undefined));
    await store.requestCancel('batch_1', OWNER, Date.now());
    runner.noticeCancel('batch_1');
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'cancelled' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(up.cancelled).toEqual(['up_1']);
    expect(done.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
    expect((await fileLines(store, done.output_file_id)).map((l) => l.custom_id)).toEqual(['r1']);
    expect(
      (await fileLines(store, done.error_file_id)).map((l) => [
        l.custom_id,
        (l.error as { code: string }).code,
      ]),
    ).toEqual([
      ['r0', 'batch_cancelled'],
      ['r2', 'batch_cancelled'],
    ]);
    expect(records.map((r) => r.requestId)).toHaveLength(1);
  });

  it('the batch running out of time cancels the upstream batch; its unanswered lines expire', async () => {
    const store = createMemoryBatchStore();
    const clock = createManualClock(Date.now());
    await setUp(store, ['gpt', 'gpt'], clock.now() + 24 * 3_600_000);
    const up = fakeUpstream((id) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer('line-0')] }
        : { done: false, status: 'in_progress' },
    );
    const runner = runnerWith(store, up.api, [], [], undefined, clock);
    runner.start();
    await until(() => (up.submitted.length > 0 ? true : undefined));
    // The upstream is still working when the batch's 24 hours are over.
    clock.advance(24 * 3_600_000);
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'expired' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(up.cancelled).toEqual(['up_1']);
    expect((await fileLines(store, done.output_file_id)).map((l) => l.custom_id)).toEqual(['r0']);
    expect(
      (await fileLines(store, done.error_file_id)).map((l) => (l.error as { code: string }).code),
    ).toEqual(['batch_expired']);
  });
});
