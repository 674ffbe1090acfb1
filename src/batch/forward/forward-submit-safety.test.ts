// No forwarded line is paid twice (by an upstream batch and live). A submit whose outcome is
// unknown (the upstream made the batch, then the connection dropped) is looked up and adopted, not
// sent live; one that made nothing sends its lines live only after `batches.forwardLookupMs` of
// look-ups that found none; a refused one (UpstreamBatchNotCreated) sends them live at once. A
// replica that takes over a batch whose submit was under way looks it up instead of resubmitting
// (over the in-memory store, and two connections to a real PostgreSQL).
// The fake upstream counts the lines it took; the sender stand-in counts the live calls.
import { describe, expect, it } from 'vitest';
import {
  answer,
  fakeUpstream,
  fileLines,
  holderWith,
  runnerWith,
  setUp,
  until,
} from '../../../test/helpers/forwarder-fixtures.js';
import { BACKENDS } from '../../../test/helpers/batch-store-backends.js';
import { GatewayError } from '../../core/errors.js';
import { UpstreamBatchNotCreated } from '../../providers/batch-not-created.js';
import type { ProviderBatchLine } from '../../providers/types.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { BatchStore } from '../../store/batch-store.js';
import { batchObject, readDoc } from '../batch-object.js';

const dropped = () =>
  new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'upstream_unreachable',
    message: 'Could not reach the upstream: other side closed',
    retryable: true,
  });
const allAnswered = (_id: string, lines: readonly ProviderBatchLine[]) => ({
  done: true as const,
  status: 'completed',
  results: lines.map((l) => answer(l.customId)),
});
const completed = (store: BatchStore) =>
  until(async () => {
    const b = await store.findBatch('batch_1');
    return b?.status === 'completed' ? batchObject(b) : undefined;
  });
const upstreamLines = (up: ReturnType<typeof fakeUpstream>) =>
  up.submitted.reduce((n, run) => n + run.length, 0);

describe('BatchForwarder, when a submit fails', () => {
  it('adopts the batch an unknown-outcome submit made: each line paid once, upstream', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt', 'gpt']);
    const up = fakeUpstream(allAnswered, {
      submitError: (n) => (n === 0 ? { error: dropped(), created: true } : undefined),
    });
    const live: string[] = [];
    const runner = runnerWith(store, up.api, [], live, undefined, undefined, holderWith());
    runner.start();
    const done = await completed(store);
    await runner.stop();
    expect(up.submits()).toBe(1);
    expect(up.finds()).toBeGreaterThanOrEqual(1);
    expect(upstreamLines(up)).toBe(3);
    expect(live).toEqual([]);
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(
      (await fileLines(store, done.output_file_id)).map(
        (l) => (l.response as { body: { model: string } }).body.model,
      ),
    ).toEqual(['gpt-up-2025', 'gpt-up-2025', 'gpt-up-2025']);
  });

  it('sends the lines live only after the look-up window found no batch', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    const up = fakeUpstream(allAnswered, {
      submitError: (n) => (n === 0 ? { error: dropped(), created: false } : undefined),
    });
    const live: string[] = [];
    const holder = holderWith({ forwardLookupMs: 300 });
    const runner = runnerWith(store, up.api, [], live, undefined, undefined, holder);
    const started = Date.now();
    runner.start();
    await until(() => (up.finds() >= 1 ? true : undefined));
    expect(live).toEqual([]);
    const done = await completed(store);
    await runner.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(up.finds()).toBeGreaterThanOrEqual(2);
    expect(upstreamLines(up)).toBe(0);
    expect(live).toEqual(['r0', 'r1']);
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
  });

  it('sends the lines live at once when the upstream surely made no batch (a refusal)', async () => {
    const store = createMemoryBatchStore();
    await setUp(store, ['gpt', 'gpt']);
    const refused = new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      message: 'bad file',
    });
    const up = fakeUpstream(allAnswered, {
      submitError: () => ({ error: new UpstreamBatchNotCreated(refused), created: false }),
    });
    const live: string[] = [];
    const runner = runnerWith(store, up.api, [], live, undefined, undefined, holderWith());
    runner.start();
    await completed(store);
    await runner.stop();
    expect(up.finds()).toBe(0);
    expect(live).toEqual(['r0', 'r1']);
  });

  for (const backend of BACKENDS.filter((x) => ['memory', 'PostgreSQL'].includes(x.name)))
    it.skipIf(backend.skip)(
      `records the group before submitting: a replica taking over mid-submit looks it up (${backend.name})`,
      async () => {
        const opened = await backend.open();
        try {
          const store = opened.store;
          await setUp(store, ['gpt', 'gpt', 'gpt']);
          const up = fakeUpstream(allAnswered);
          const submit = up.api.submit;
          // Replica A's submit reaches the upstream (which makes the batch) and never returns.
          up.api.submit = (lines, tag) => {
            void submit(lines, tag);
            return new Promise<string>(() => {});
          };
          const live: string[] = [];
          const a = runnerWith(store, up.api, [], live, undefined, undefined, holderWith());
          a.start();
          await until(() => (up.submitted.length > 0 ? true : undefined));
          const saved = readDoc((await store.findBatch('batch_1'))!).forward!.groups;
          expect(saved).toHaveLength(1);
          expect(saved[0]!.upstreamId).toBeUndefined();
          expect(saved[0]!.lines.map((l) => l.line)).toEqual([0, 1, 2]);
          await a.stop(100);

          up.api.submit = submit;
          const other = opened.replica();
          const b = runnerWith(other, up.api, [], live, undefined, undefined, holderWith());
          b.start();
          const done = await completed(other);
          await b.stop();
          expect(up.submits()).toBe(1);
          expect(upstreamLines(up)).toBe(3);
          expect(live).toEqual([]);
          expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
        } finally {
          await opened.close();
        }
      },
    );
});
