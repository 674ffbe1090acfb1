// A config reload while lines wait in an upstream batch must not send them live (the upstream
// batch still runs, and is paid for). On the replica that submitted it, the batch is polled with
// the config it was submitted under, whether the deployment lost `batchApi` or is gone. A replica
// that takes the batch over reads it through a deployment of that name at the same upstream
// account (with `batchApi` or without); with none, its lines wait, not live, until one is back.
// The forwarder's gauge source counts the lines waiting at the provider.
import { describe, expect, it } from 'vitest';
import {
  answer,
  configInput,
  fakeUpstream,
  holderWith,
  runnerWith,
  setUp,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { parseConfig } from '../../config/load-config.js';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type { ProviderBatchLine } from '../../providers/types.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { BatchStore } from '../../store/batch-store.js';
import type { RequestRecord } from '../../store/request-record.js';
import { batchObject, readDoc } from '../batch-object.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

type Change = 'no batchApi' | 'removed';

/** `holder` reloaded with deployment `gpt` changed so. */
function reload(holder: ConfigHolder, change: Change | 'restored') {
  const input = configInput();
  if (change === 'removed') input.deployments = input.deployments.filter((d) => d.name !== 'gpt');
  if (change === 'no batchApi') delete (input.deployments[0] as { batchApi?: unknown }).batchApi;
  holder.apply(parseConfig(input, {}).config);
}

function upstreamThatEnds() {
  let finished = false;
  const up = fakeUpstream((_id, lines: readonly ProviderBatchLine[]) =>
    finished
      ? { done: true, status: 'completed', results: lines.map((l) => answer(l.customId)) }
      : { done: false, status: 'in_progress' },
  );
  return Object.assign(up, { finish: () => (finished = true) });
}

const completed = (store: BatchStore) =>
  until(async () => {
    const b = await store.findBatch('batch_1');
    return b?.status === 'completed' ? batchObject(b) : undefined;
  });

describe('BatchForwarder, when the config changes under an upstream batch', () => {
  for (const change of ['no batchApi', 'removed'] as const) {
    it(`keeps polling with the config it submitted under (deployment ${change})`, async () => {
      const store = createMemoryBatchStore();
      await setUp(store, ['gpt', 'gpt']);
      const up = upstreamThatEnds();
      const live: string[] = [];
      const records: RequestRecord[] = [];
      const holder = holderWith();
      const runner = runnerWith(store, up.api, records, live, undefined, undefined, holder);
      runner.start();
      await until(() => (up.polls() > 0 ? true : undefined));
      expect(runner.forwarder.waiting()).toEqual([
        { deployment: 'gpt', state: 'upstream', lines: 2 },
      ]);
      reload(holder, change);
      const polled = up.polls();
      await until(() => (up.polls() > polled + 1 ? true : undefined));
      expect(live).toEqual([]);
      up.finish();
      const done = await completed(store);
      await runner.stop();
      expect(live).toEqual([]);
      expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
      // Costed as submitted: at the Batch API's discount (half of 100 × $1 + 50 × $2 per 1M).
      expect(records.map((r) => r.costUsd)).toEqual([100e-6, 100e-6]);
      expect(runner.forwarder.waiting()).toEqual([]);
    });
  }

  it('a replica taking over with no deployment at that account lets the lines wait, not live', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    const up = upstreamThatEnds();
    const live: string[] = [];
    const a = runnerWith(store, up.api, [], live, undefined, undefined, holderWith());
    a.start();
    await until(async () =>
      readDoc((await store.findBatch('batch_1'))!).forward?.groups[0]?.upstreamId
        ? true
        : undefined,
    );
    await a.stop();

    const holder = holderWith();
    reload(holder, 'removed');
    const b = runnerWith(store, up.api, [], live, undefined, undefined, holder);
    b.start();
    // The lines wait at the upstream; several poll intervals on, they neither run live nor end.
    const waiting = [{ deployment: 'gpt', state: 'upstream', lines: 2 }];
    await waitFor(() => expect(b.forwarder.waiting()).toEqual(waiting));
    await new Promise((r) => setTimeout(r, 400));
    expect(live).toEqual([]);
    expect((await store.findBatch('batch_1'))!.status).toBe('in_progress');
    expect(b.forwarder.waiting()).toEqual(waiting);
    // The deployment is back, without `batchApi` but at the same account: it is read there.
    reload(holder, 'no batchApi');
    up.finish();
    const done = await completed(store);
    await b.stop();
    expect(live).toEqual([]);
    expect(up.submitted).toHaveLength(1);
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  });
});
