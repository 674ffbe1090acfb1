// The forwarder inside the runner, over the in-memory store, with a fake upstream Batch API and a
// fake sender standing in for the gateway (it holds every line offered for `gpt`): lines go up as
// one upstream batch in input order; a replica that takes the batch over polls the upstream batch
// it finds in the doc instead of submitting again; results come back in input order at the
// discounted price; a retryable upstream result runs live; a cancel cancels the upstream batch and
// the lines it did not answer go to the error file as cancelled, and so does the batch running out
// of time (on an injected clock), its lines then expired; the budgets and the output filter; and
// a batch on another endpoint than chat (moderations, images, embeddings) runs every line live.
import { describe, expect, it } from 'vitest';
import {
  answer,
  fakeUpstream,
  fileLines,
  lineId,
  OWNER,
  runnerWith,
  setUp,
  shortId,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { createManualClock } from '../../core/clock.js';
import type { GatewayPolicies, SettleInfo } from '../../gateway/gateway-types.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { RequestRecord } from '../../store/request-record.js';
import { batchObject, readDoc } from '../batch-object.js';

describe('BatchForwarder', () => {
  it('submits once; a replica that takes over polls the upstream batch instead of resubmitting', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'other', 'gpt', 'gpt']);
    let finished = false;
    const up = fakeUpstream((_id, lines) =>
      finished
        ? {
            done: true,
            status: 'completed',
            // Out of order, and line-3 failed retryably: it runs live.
            results: [
              answer(lineId(lines, 2)),
              answer(lineId(lines, 3), 500),
              answer(lineId(lines, 0)),
            ],
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
    expect(up.submitted[0]!.map((l) => [shortId(l.customId), l.body.model])).toEqual([
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
    const up = fakeUpstream((_id, lines) => ({
      done: true,
      status: 'completed',
      results: [answer(lineId(lines, 0))],
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
    expect(up.submitted.map((run) => run.map((l) => shortId(l.customId)))).toEqual([
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

  it.each(['/v1/moderations', '/v1/images/generations', '/v1/embeddings'])(
    'a %s batch is not forwarded: its lines run live, even for a deployment with batchApi',
    async (endpoint) => {
      const store = createMemoryBatchStore();
      await setUp(store, ['gpt', 'gpt'], Date.now() + 60_000, endpoint);
      const up = fakeUpstream(() => ({ done: true, status: 'completed', results: [] }));
      const live: string[] = [];
      const runner = runnerWith(store, up.api, [], live);
      runner.start();
      const done = await until(async () => {
        const b = await store.findBatch('batch_1');
        return b?.status === 'completed' ? batchObject(b) : undefined;
      });
      await runner.stop();
      expect(up.submitted).toEqual([]);
      expect(live).toEqual(['r0', 'r1']);
      expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    },
  );

  it('a cancel cancels the upstream batch; lines it did not answer are cancelled', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt', 'gpt']);
    const up = fakeUpstream((id, lines) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer(lineId(lines, 1))] }
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
    const up = fakeUpstream((id, lines) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer(lineId(lines, 0))] }
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
