// A held batch line whose prompt the content filter checked at a priced moderation deployment,
// then given back by the upstream Batch API to run live: the check's calls go with the line's
// first live run (ChatCall.carriedFilterCalls, which the gateway counts in its record), once, and
// they are kept in the batch's doc (with the line in its group, then as carried), so a replica
// that takes the batch over carries them too.
// Before 2026-12-07 they were counted nowhere. A held line that ends unrun instead (its batch
// cancelled or expired) gets a record of its own with those calls, settled with the budgets (before
// 2026-12-07, nowhere either). The forwarder's bench (forwarder-fixtures.ts).
import { describe, expect, it } from 'vitest';
import {
  answer,
  fakeUpstream,
  fileLines,
  lineId,
  OWNER,
  runnerWith,
  setUp,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { createManualClock } from '../../core/clock.js';
import type { GatewayPolicies, SettleInfo } from '../../gateway/gateway-types.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { AttemptRecord, RequestRecord } from '../../store/request-record.js';
import { batchObject, readDoc } from '../batch-object.js';
import type { LineBatch } from '../batch-runner-deps.js';

/** The filter's check of line `customId`'s prompt, at `mod`. */
const check = (customId: string): AttemptRecord => ({
  deployment: 'mod',
  model: `omni-moderation-for-${customId}`,
  outcome: 'ok',
  latencyMs: 1,
  costUsd: 1e-5,
  lookup: 'content_filter',
});

describe('a held line given back to run live', () => {
  it('carries its prompt check into its first live run, once, through a takeover', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt', 'gpt']);
    let finished = false;
    // line-1 answered; line-0 and line-2 failed retryably (500, and no result): both run live.
    const up = fakeUpstream((_id, lines) =>
      finished
        ? {
            done: true,
            status: 'completed',
            results: [answer(lineId(lines, 1)), answer(lineId(lines, 0), 500)],
          }
        : { done: false, status: 'in_progress' },
    );
    const sends: [string, LineBatch][] = [];
    const gatewayPart = {
      heldFilterCalls: (customId: string) => (customId === 'r2' ? [] : [check(customId)]),
      onSend: (customId: string, batch: LineBatch) => void sends.push([customId, batch]),
    };
    const first = runnerWith(store, up.api, [], [], undefined, undefined, undefined, gatewayPart);
    first.start();
    await until(async () =>
      readDoc((await store.findBatch('batch_1'))!).forward?.groups.length ? true : undefined,
    );
    await first.stop();
    expect(sends.every(([, b]) => b.carriedFilterCalls === undefined)).toBe(true);

    // Another replica takes the batch over and reads the upstream batch's end.
    finished = true;
    const live: string[] = [];
    const second = runnerWith(
      store,
      up.api,
      [],
      live,
      undefined,
      undefined,
      undefined,
      gatewayPart,
    );
    second.start();
    await until(async () =>
      (await store.findBatch('batch_1'))?.status === 'completed' ? true : undefined,
    );
    await second.stop();
    expect(live.sort()).toEqual(['r0', 'r2']);
    const liveSends = sends.filter(([id, b]) => live.includes(id) && !b.forward);
    expect(liveSends.map(([id, b]) => [id, b.carriedFilterCalls])).toEqual(
      expect.arrayContaining([
        ['r0', [check('r0')]],
        ['r2', undefined],
      ]),
    );
    // Taken once: the doc keeps none once the line has run live.
    expect(readDoc((await store.findBatch('batch_1'))!).forward?.carried ?? []).toEqual([]);
  });
});

/** Policies that only keep what each settle was told. */
function settling(): { policies: GatewayPolicies; settled: SettleInfo[] } {
  const settled: SettleInfo[] = [];
  const policies = { settle: (_ctx: unknown, info: SettleInfo) => void settled.push(info) };
  return { policies: policies as unknown as GatewayPolicies, settled };
}

/** What the request log got for the lines that ended unrun (`batch_…` codes). */
const unrunRecords = (records: RequestRecord[]) =>
  records
    .filter((r) => r.errorCode?.startsWith('batch_'))
    .map((r) => ({
      status: r.status,
      errorCode: r.errorCode,
      costUsd: r.costUsd,
      usageEstimated: r.usageEstimated,
      deployment: r.deployment,
      attempts: r.attempts,
      tags: r.tags,
      promptTokens: r.promptTokens,
    }));

describe('a held line that ends unrun', () => {
  it('a cancel: the prompt check of each unanswered line is in a record of its own, settled', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt', 'gpt']);
    const up = fakeUpstream((id, lines) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer(lineId(lines, 1))] }
        : { done: false, status: 'in_progress' },
    );
    const records: RequestRecord[] = [];
    const { policies, settled } = settling();
    const runner = runnerWith(store, up.api, records, [], policies, undefined, undefined, {
      heldFilterCalls: (customId) => (customId === 'r2' ? [] : [check(customId)]),
    });
    runner.start();
    await until(() => (up.polls() > 0 ? true : undefined));
    await store.requestCancel('batch_1', OWNER, Date.now());
    runner.noticeCancel('batch_1');
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'cancelled' ? batchObject(b) : undefined;
    });
    await runner.stop();
    // r1 answered (its record has its check); r0 ended unrun with a check; r2 unrun with none.
    expect(unrunRecords(records)).toEqual([
      {
        status: 499,
        errorCode: 'batch_cancelled',
        costUsd: 1e-5,
        usageEstimated: true,
        deployment: undefined,
        attempts: [check('r0')],
        tags: ['batch', 'batch:batch_1'],
        promptTokens: 90,
      },
    ]);
    expect(records).toHaveLength(2);
    // The error file names the record: the same request id.
    const errors = await fileLines(store, done.error_file_id);
    const r0 = records.find((r) => r.errorCode === 'batch_cancelled')!;
    expect(errors.map((l) => [l.custom_id, l.id === r0.requestId])).toEqual([
      ['r0', true],
      ['r2', false],
    ]);
    // Settled with the budgets: the check's cost, charged at the moderation deployment.
    expect(settled.map((s) => [s.status, s.costUsd, s.attempts])).toEqual(
      expect.arrayContaining([[499, 1e-5, [check('r0')]]]),
    );
    expect(readDoc((await store.findBatch('batch_1'))!).forward?.carried ?? []).toEqual([]);
  });

  it('an expiry: the same, with batch_expired', async () => {
    const store = createMemoryBatchStore();
    const clock = createManualClock(Date.now());
    await setUp(store, ['gpt', 'gpt'], clock.now() + 24 * 3_600_000);
    const up = fakeUpstream((id, lines) =>
      up.cancelled.includes(id)
        ? { done: true, status: 'cancelled', results: [answer(lineId(lines, 0))] }
        : { done: false, status: 'in_progress' },
    );
    const records: RequestRecord[] = [];
    const runner = runnerWith(store, up.api, records, [], undefined, clock, undefined, {
      heldFilterCalls: (customId) => [check(customId)],
    });
    runner.start();
    await until(() => (up.submitted.length > 0 ? true : undefined));
    clock.advance(24 * 3_600_000);
    await until(async () =>
      (await store.findBatch('batch_1'))?.status === 'expired' ? true : undefined,
    );
    await runner.stop();
    expect(unrunRecords(records).map((r) => [r.status, r.errorCode, r.attempts])).toEqual([
      [504, 'batch_expired', [check('r1')]],
    ]);
  });

  it('a line given back to run live, cancelled before it ran: its record after a takeover', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    let finished = false;
    // line-0 answered; line-1 failed retryably: it is to run live, with its check carried.
    const up = fakeUpstream((_id, lines) =>
      finished
        ? {
            done: true,
            status: 'completed',
            results: [answer(lineId(lines, 0)), answer(lineId(lines, 1), 500)],
          }
        : { done: false, status: 'in_progress' },
    );
    const gatewayPart = { heldFilterCalls: (customId: string) => [check(customId)] };
    const first = runnerWith(store, up.api, [], [], undefined, undefined, undefined, gatewayPart);
    first.start();
    await until(async () =>
      readDoc((await store.findBatch('batch_1'))!).forward?.groups.length ? true : undefined,
    );
    await first.stop();
    // Its owner cancels while no replica runs it; the next finds the upstream batch ended, so
    // line-1 comes back to run live, and the batch is ending: it ends unrun.
    finished = true;
    await store.requestCancel('batch_1', OWNER, Date.now());
    const records: RequestRecord[] = [];
    const live: string[] = [];
    const second = runnerWith(
      store,
      up.api,
      records,
      live,
      undefined,
      undefined,
      undefined,
      gatewayPart,
    );
    second.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'cancelled' ? batchObject(b) : undefined;
    });
    await second.stop();
    expect(live).toEqual([]);
    expect(unrunRecords(records).map((r) => [r.status, r.errorCode, r.attempts])).toEqual([
      [499, 'batch_cancelled', [check('r1')]],
    ]);
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
  });
});
