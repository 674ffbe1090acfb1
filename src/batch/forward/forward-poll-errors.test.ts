// A failing poll of an upstream batch must not make the router pay twice: whatever the error (a
// 401 too), the poll is retried and the lines wait, since the upstream batch may still be running;
// only a definitive answer releases them (no such upstream batch: they run live). When the
// batch runs out of time while the upstream cannot be read, the upstream batch is cancelled
// best-effort and its lines end as expired, not live.
import { describe, expect, it } from 'vitest';
import {
  answer,
  fakeUpstream,
  fileLines,
  runnerWith,
  setUp,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { createManualClock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { batchObject } from '../batch-object.js';

const failure = (status: number) =>
  new GatewayError({
    status,
    type: status === 401 ? 'authentication_error' : 'server_error',
    message: `upstream says ${status}`,
    retryable: status >= 500,
  });

describe('BatchForwarder, when a poll fails', () => {
  it('retries a poll that failed with a 401 and never sends the lines live meanwhile', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    let failures = 0;
    const up = fakeUpstream((_id, lines) => {
      if (failures < 2) {
        failures++;
        throw failure(401);
      }
      return { done: true, status: 'completed', results: lines.map((l) => answer(l.customId)) };
    });
    const live: string[] = [];
    const runner = runnerWith(store, up.api, [], live);
    runner.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'completed' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(failures).toBe(2);
    expect(up.polls()).toBe(3);
    expect(up.submitted).toHaveLength(1);
    expect(live).toEqual([]);
    expect(
      (await fileLines(store, done.output_file_id)).map((l) => [
        l.custom_id,
        (l.response as { body: { model: string } }).body.model,
      ]),
    ).toEqual([
      ['r0', 'gpt-up-2025'],
      ['r1', 'gpt-up-2025'],
    ]);
  });

  it('sends the lines live once the upstream does not know its batch (a 404: ended, no results)', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    let failures = 0;
    const up = fakeUpstream(() => {
      if (failures++ === 0) throw failure(500);
      return { done: true, status: 'not_found', results: [] };
    });
    const live: string[] = [];
    const runner = runnerWith(store, up.api, [], live);
    runner.start();
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'completed' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(live).toEqual(['r0', 'r1']);
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  });

  it('expiring while the upstream is unreachable cancels it best-effort; its lines expire', async () => {
    const store = createMemoryBatchStore();
    const clock = createManualClock(Date.now());
    await setUp(store, ['gpt', 'gpt'], clock.now() + 24 * 3_600_000);
    const up = fakeUpstream(() => {
      throw failure(503);
    });
    const cancels: string[] = [];
    const api = {
      ...up.api,
      cancel: (id: string) => {
        cancels.push(id);
        return Promise.reject(failure(503));
      },
    };
    const live: string[] = [];
    const runner = runnerWith(store, api, [], live, undefined, clock);
    runner.start();
    await until(() => (up.submitted.length > 0 ? true : undefined));
    // The upstream cannot be read: polls fail and are retried, the lines wait.
    clock.advance(1_000);
    await until(() => (up.polls() > 0 ? true : undefined));
    expect(live).toEqual([]);
    // Then the batch's 24 hours are over.
    clock.advance(24 * 3_600_000);
    const done = await until(async () => {
      const b = await store.findBatch('batch_1');
      return b?.status === 'expired' ? batchObject(b) : undefined;
    });
    await runner.stop();
    expect(cancels).toContain('up_1');
    expect(live).toEqual([]);
    expect(
      (await fileLines(store, done.error_file_id)).map((l) => [
        l.custom_id,
        (l.error as { code: string }).code,
      ]),
    ).toEqual([
      ['r0', 'batch_expired'],
      ['r1', 'batch_expired'],
    ]);
  });
});
