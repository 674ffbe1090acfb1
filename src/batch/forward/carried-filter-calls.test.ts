// A held batch line whose prompt the content filter checked at a priced moderation deployment,
// then given back by the upstream Batch API to run live: the check's calls go with the line's
// first live run (ChatCall.carriedFilterCalls, which the gateway counts in its record), once, and
// they are kept in the batch's doc (with the line in its group, then as carried), so a replica
// that takes the batch over carries them too.
// Before 2026-12-07 they were counted nowhere. The forwarder's bench (forwarder-fixtures.ts).
import { describe, expect, it } from 'vitest';
import {
  answer,
  fakeUpstream,
  lineId,
  runnerWith,
  setUp,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { AttemptRecord } from '../../store/request-record.js';
import { readDoc } from '../batch-object.js';
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
