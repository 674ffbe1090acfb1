// A Message Batch that is cancelled (or runs out of time) as every client reads it on the way: the
// runner over the memory store, each state it writes shown through Anthropic's MessageBatch counts
// and OpenAI's Batch object. Anthropic: while `canceling`, the requests not run are still
// `processing`, and `canceled` (or `expired`) only once the batch has ended; OpenAI: `request_counts`
// only ever go up, to the counts the batch ends with.
import { describe, expect, it } from 'vitest';
import { resultLine, unansweredLine, type LineReply } from '../../batch/batch-line.js';
import { batchObject, emptyUsage, type BatchDoc } from '../../batch/batch-object.js';
import { BatchRunner } from '../../batch/batch-runner.js';
import { createManualClock, type Clock } from '../../core/clock.js';
import { ANONYMOUS } from '../../gateway/gateway-types.js';
import type { BatchStore, StoredBatch } from '../../store/batch-store.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { messageBatchCounts, processingStatus } from './message-batch-object.js';
import { messageBatchView } from './message-batches-routes.js';
import { WAIT_TIMEOUT_MS } from '../../../test/helpers/wait-for.js';

const OWNER = 'acme';
const ID = 'msgbatch_1';
const LINES = 12;

/** A Message Batch of `LINES` requests as the route creates it; `r1` names a model that fails. */
async function createMessageBatch(store: BatchStore, now: number): Promise<void> {
  const lines = Array.from({ length: LINES }, (_, i) =>
    JSON.stringify({
      custom_id: `r${i}`,
      method: 'POST',
      url: '/v1/messages',
      body: { model: i === 1 ? 'nope' : 'm', max_tokens: 8, messages: [] },
    }),
  );
  const content = Buffer.from(lines.join('\n') + '\n');
  const file = { owner: OWNER, filename: 'in.jsonl', bytes: content.length, createdAt: now };
  await store.putFile({ ...file, id: 'file-in', purpose: 'anthropic_batch' }, content);
  const doc: BatchDoc = {
    endpoint: '/v1/messages',
    inputFileId: 'file-in',
    completionWindow: '24h',
    metadata: null,
    outputPurpose: 'anthropic_batch_output',
    expiresAt: now + 86_400_000,
    requestCounts: { total: LINES, completed: 0, failed: 0 },
    usage: emptyUsage(),
  };
  await store.createBatch({
    id: ID,
    owner: OWNER,
    createdAt: now,
    status: 'validating',
    doc: JSON.stringify(doc),
  });
}

/** The memory store, keeping each state of the batch the runner writes. */
function recordingStore(): { store: BatchStore; states: StoredBatch[] } {
  const inner = createMemoryBatchStore();
  const states: StoredBatch[] = [];
  const store: BatchStore = {
    ...inner,
    async updateBatch(id, worker, status, doc) {
      const written = await inner.updateBatch(id, worker, status, doc);
      if (written) states.push((await inner.findBatch(id))!);
      return written;
    },
  };
  return { store, states };
}

const reply = (status: number, body: object): LineReply => ({
  status,
  headers: {},
  body: JSON.stringify(body),
});

/** A runner whose lines answer at once (r1 fails for real), except r2 and r3, which wait for `gate`. */
function startRunner(store: BatchStore, clock: Clock, gate: Promise<void>): BatchRunner {
  const runner = new BatchRunner({
    store,
    clock,
    settings: () => ({
      concurrency: 2,
      maxActive: 1,
      maxAttempts: 1,
      maxRequests: 100,
      pollIntervalMs: 50,
    }),
    callerFor: () => ANONYMOUS,
    send: async (line) => {
      if (line.customId === 'r2' || line.customId === 'r3') await gate;
      return line.body.model === 'nope'
        ? reply(404, { type: 'error', error: { type: 'not_found_error', message: 'no nope' } })
        : reply(200, {
            type: 'message',
            content: [],
            usage: { input_tokens: 1, output_tokens: 1 },
          });
    },
    log: { warn: () => {}, info: () => {} },
    leaseMs: 60_000,
  });
  runner.start();
  return runner;
}

/** Waits (in real time, bounded) until the stored batch has ended. */
async function ended(store: BatchStore): Promise<StoredBatch> {
  const until = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    const b = (await store.findBatch(ID))!;
    if (processingStatus(b) === 'ended') return b;
    if (Date.now() > until) throw new Error(`the batch did not end: ${b.status}`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Checks every state written before the end: the unrun requests are processing, not errored. */
function expectProcessingUntilEnded(states: StoredBatch[]): void {
  for (const b of states.filter((s) => processingStatus(s) !== 'ended')) {
    const counts = messageBatchCounts(b);
    // Only r1 failed for real: the requests written as unrun are not errored on the way.
    expect(counts.errored).toBeLessThanOrEqual(1);
    expect(counts.canceled + counts.expired).toBe(0);
    expect(counts.processing + counts.succeeded + counts.errored).toBe(LINES);
  }
}

/** Runs the batch with two lines held in flight until `stop` is called, then ends it by `stop`. */
async function runUntilStopped(stop: 'cancel' | 'expire') {
  const clock = createManualClock();
  const { store, states } = recordingStore();
  await createMessageBatch(store, clock.now());
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const runner = startRunner(store, clock, gate);
  const until = Date.now() + WAIT_TIMEOUT_MS;
  const current = async () => (await store.findBatch(ID))!;
  while (readCounts(await current()).completed + readCounts(await current()).failed < 2) {
    if (Date.now() > until) throw new Error('r0 and r1 never finished');
    await new Promise((res) => setTimeout(res, 5));
  }
  if (stop === 'cancel') {
    await store.requestCancel(ID, OWNER, clock.now());
    runner.noticeCancel(ID);
  } else clock.advance(86_400_000);
  release();
  const end = await ended(store);
  await runner.stop();
  return { store, states, ended: end };
}

const readCounts = (b: StoredBatch) => (JSON.parse(b.doc) as BatchDoc).requestCounts;

describe('a Message Batch while it stops', () => {
  for (const stop of ['cancel', 'expire'] as const) {
    const unrunAs = stop === 'cancel' ? 'canceled' : 'expired';

    it(`${stop}: the requests not run stay processing until it ends, then are ${unrunAs}`, async () => {
      const { store, states, ended } = await runUntilStopped(stop);
      const running = states.filter((b) => processingStatus(b) !== 'ended');
      expect(running.map((b) => processingStatus(b))).toContain(
        stop === 'cancel' ? 'canceling' : 'in_progress',
      );
      expectProcessingUntilEnded(running);
      const view = await messageBatchView(store, ended, 'http://h');
      expect(view.request_counts).toEqual({
        processing: 0,
        succeeded: 3,
        errored: 1,
        canceled: stop === 'cancel' ? LINES - 4 : 0,
        expired: stop === 'expire' ? LINES - 4 : 0,
      });
    });
  }

  it('OpenAI: request_counts only go up while it is cancelling, to the counts it ends with', async () => {
    const { states, ended } = await runUntilStopped('cancel');
    const shown = states.map((b) => batchObject(b));
    expect(shown.map((o) => o.status)).toContain('cancelling');
    const final = batchObject(ended).request_counts as BatchDoc['requestCounts'];
    expect(final).toEqual({ total: LINES, completed: 3, failed: LINES - 3 });
    let last = { completed: 0, failed: 0 };
    for (const o of shown) {
      const c = o.request_counts as BatchDoc['requestCounts'];
      expect(c.total).toBe(LINES);
      expect(c.completed).toBeGreaterThanOrEqual(last.completed);
      expect(c.failed).toBeGreaterThanOrEqual(last.failed);
      expect(c.completed).toBeLessThanOrEqual(final.completed);
      expect(c.failed).toBeLessThanOrEqual(final.failed);
      last = c;
    }
  });

  it('taken over part way through its cancel: the unrun requests already kept stay processing', async () => {
    const clock = createManualClock();
    const { store, states } = recordingStore();
    await createMessageBatch(store, clock.now());
    // A replica ran r0 and r1, was cancelled, kept every other line as unrun and died before it
    // wrote the counts that include them.
    const gone = (await store.claimBatch('gone', clock.now(), clock.now() + 1, []))!;
    const doc = JSON.parse(gone.doc) as BatchDoc;
    doc.requestCounts = { total: LINES, completed: 1, failed: 1 };
    await store.updateBatch(ID, 'gone', 'in_progress', JSON.stringify(doc));
    await store.requestCancel(ID, OWNER, clock.now());
    const line = (i: number) => ({ customId: `r${i}`, path: '/v1/messages', body: {} });
    await store.putResults(ID, [
      { line: 0, ok: true, json: resultLine('a', line(0), reply(200, {}), {}) },
      { line: 1, ok: false, json: resultLine('b', line(1), reply(404, {}), {}) },
      ...Array.from({ length: LINES - 2 }, (_, i) => ({
        line: i + 2,
        ok: false,
        json: unansweredLine(`c${i}`, line(i + 2), 'batch_cancelled', 'cancelled'),
      })),
    ]);
    clock.advance(2); // its lease runs out
    states.length = 0;
    const runner = startRunner(store, clock, Promise.resolve());
    const end = await ended(store);
    await runner.stop();
    expect(states.length).toBeGreaterThan(1);
    expectProcessingUntilEnded(states);
    expect((await messageBatchView(store, end, 'http://h')).request_counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 1,
      canceled: LINES - 2,
      expired: 0,
    });
  });
});
