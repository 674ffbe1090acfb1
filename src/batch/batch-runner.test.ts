// The runner over the in-memory store with a fake sender: lines in input order in the output and
// error files, retries (429 not counted, 5xx counted up to maxAttempts), cancel, expiry, a batch
// resumed from the lines another replica finished, and two runners never running one batch; and
// the races: counts written with exactly the lines kept, a cancel during validation, stop() while
// a batch is finalizing, a batch that cannot be activated, a batch created during a claim.
import { describe, expect, it } from 'vitest';
import { createTestBatch } from '../../test/helpers/batch-fixtures.js';
import { systemClock } from '../core/clock.js';
import { ANONYMOUS } from '../gateway/gateway-types.js';
import type { BatchStore } from '../store/batch-store.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import type { BatchLine } from './batch-input.js';
import type { LineReply } from './batch-line.js';
import { batchObject, type BatchDoc } from './batch-object.js';
import type { BatchRunnerDeps } from './batch-runner-deps.js';
import { BatchRunner } from './batch-runner.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const OWNER = 'acme';

async function upload(store: BatchStore, lines: object[], id = 'file-in'): Promise<void> {
  const content = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  await store.putFile(
    {
      id,
      owner: OWNER,
      purpose: 'batch',
      filename: 'in.jsonl',
      bytes: content.length,
      createdAt: 1,
    },
    content,
  );
}

const chatLine = (i: number, model = 'm') => ({
  custom_id: `r${i}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model, messages: [{ role: 'user', content: `q${i}` }] },
});

async function createBatch(store: BatchStore, id = 'batch_1', expiresAt = Date.now() + 60_000) {
  await createTestBatch(store, { id: id, owner: OWNER, expiresAt });
}

function runner(
  store: BatchStore,
  send: (line: BatchLine, requestId: string) => Promise<LineReply>,
  over: Partial<BatchRunnerDeps> & { concurrency?: number; pollIntervalMs?: number } = {},
): BatchRunner {
  return new BatchRunner({
    store,
    clock: systemClock,
    settings: () => ({
      concurrency: over.concurrency ?? 2,
      maxActive: 4,
      maxAttempts: 3,
      maxRequests: 1_000,
      pollIntervalMs: over.pollIntervalMs ?? 50,
    }),
    callerFor: () => ANONYMOUS,
    send: (line, _auth, requestId) => send(line, requestId),
    log: { warn: () => {}, info: () => {} },
    leaseMs: 600,
    retryBaseMs: 5,
    ...over,
  });
}

const ok = (line: BatchLine): LineReply => ({
  status: 200,
  headers: {},
  body: JSON.stringify({
    id: 'x',
    model: 'served',
    custom: line.customId,
    usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
  }),
});

async function waitFor(store: BatchStore, id: string, statuses: string[], ms = WAIT_TIMEOUT_MS) {
  const until = Date.now() + ms;
  for (;;) {
    const b = await store.getBatch(id, OWNER);
    if (b && statuses.includes(b.status)) return batchObject(b);
    if (Date.now() > until) throw new Error(`batch ${id} is ${b?.status}, not ${statuses}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string } | null;
  error: unknown;
}

const fileLines = async (store: BatchStore, id: unknown) =>
  (await store.getFileContent(String(id), OWNER))!
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OutputLine);

describe('BatchRunner', () => {
  it('runs every line and writes the output and error files in input order, with usage', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [chatLine(0), chatLine(1, 'nope'), chatLine(2), chatLine(3)]);
    await createBatch(store);
    const r = runner(store, async (line) => {
      await new Promise((res) => setTimeout(res, line.customId === 'r0' ? 30 : 1));
      return line.body.model === 'nope'
        ? { status: 404, headers: {}, body: '{"error":{"message":"no such model"}}' }
        : ok(line);
    });
    r.start();
    const done = await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    expect(done.usage).toMatchObject({ input_tokens: 9, output_tokens: 15, total_tokens: 24 });
    expect(done.model).toBe(null);
    const out = await fileLines(store, done.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['r0', 'r2', 'r3']);
    expect(out[0]).toMatchObject({
      response: { status_code: 200, body: { custom: 'r0' } },
      error: null,
    });
    expect(out[0]!.id).toBe(out[0]!.response?.request_id);
    const errors = await fileLines(store, done.error_file_id);
    expect(errors).toEqual([
      expect.objectContaining({
        custom_id: 'r1',
        response: expect.objectContaining({ status_code: 404 }),
      }),
    ]);
    expect(await store.resultLines('batch_1')).toEqual([]); // kept results are cleared
  });

  it('a 429 waits without using a try; a 5xx is tried maxAttempts times', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [chatLine(0), chatLine(1)]);
    await createBatch(store);
    const calls: Record<string, number> = {};
    const r = runner(store, async (line) => {
      const n = (calls[line.customId] = (calls[line.customId] ?? 0) + 1);
      if (line.customId === 'r0')
        return n <= 4
          ? { status: 429, headers: { 'retry-after-ms': '5' }, body: '{"error":{}}' }
          : ok(line);
      return { status: 502, headers: {}, body: '{"error":{"message":"upstream down"}}' };
    });
    r.start();
    const done = await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
    expect(calls).toEqual({ r0: 5, r1: 3 });
    expect(done.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const errors = await fileLines(store, done.error_file_id);
    expect(errors[0]).toMatchObject({ custom_id: 'r1', response: { status_code: 502 } });
  });

  it('a bad input file fails the batch with every problem by line, and sends nothing', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [
      chatLine(0),
      { ...chatLine(0) },
      { ...chatLine(2), url: '/v1/embeddings' },
    ]);
    await createBatch(store);
    let sent = 0;
    const r = runner(store, async (line) => (sent++, ok(line)));
    r.start();
    const failed = await waitFor(store, 'batch_1', ['failed']);
    await r.stop();
    expect(sent).toBe(0);
    expect(failed.errors).toEqual({
      object: 'list',
      data: [
        expect.objectContaining({ code: 'duplicate_custom_id', line: 2 }),
        expect.objectContaining({ code: 'mismatched_url', line: 3 }),
      ],
    });
  });

  it('cancel stops new lines; the unrun ones are in the error file as batch_cancelled', async () => {
    const store = createMemoryBatchStore();
    await upload(
      store,
      Array.from({ length: 20 }, (_, i) => chatLine(i)),
    );
    await createBatch(store);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    // Cancelled once both lines the concurrency allows are out (not after a guessed pause, which a
    // loaded machine can outlast before the second line starts).
    let sent = 0;
    let bothSent!: () => void;
    const both = new Promise<void>((res) => (bothSent = res));
    const outcomes: string[] = [];
    const r = runner(
      store,
      async (line) => {
        if (++sent === 2) bothSent();
        await gate;
        return ok(line);
      },
      { concurrency: 2, onLine: (o) => void outcomes.push(o) },
    );
    r.start();
    await waitFor(store, 'batch_1', ['in_progress']);
    await both;
    const cancelling = await store.requestCancel('batch_1', OWNER, Date.now());
    expect(batchObject(cancelling!).status).toBe('cancelling');
    r.noticeCancel('batch_1');
    release();
    const done = await waitFor(store, 'batch_1', ['cancelled']);
    await r.stop();
    expect(done.request_counts).toEqual({ total: 20, completed: 2, failed: 18 });
    const errors = await fileLines(store, done.error_file_id);
    expect(errors).toHaveLength(18);
    expect(errors[0]).toMatchObject({ response: null, error: { code: 'batch_cancelled' } });
    expect(done.cancelled_at).not.toBe(null);
    expect(outcomes.filter((o) => o === 'not_run')).toHaveLength(18);
    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(2);
  });

  it('a batch past its window expires: unrun lines are batch_expired', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [chatLine(0), chatLine(1)]);
    await createBatch(store, 'batch_1', Date.now() - 1);
    const r = runner(store, async (line) => ok(line));
    r.start();
    const done = await waitFor(store, 'batch_1', ['expired']);
    await r.stop();
    expect(done.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
    expect((await fileLines(store, done.error_file_id))[1]).toMatchObject({
      custom_id: 'r1',
      error: { code: 'batch_expired' },
    });
  });

  it('resumes a batch another replica left: only the lines without a result are sent', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [chatLine(0), chatLine(1), chatLine(2)]);
    await createBatch(store);
    const first = await store.claimBatch('gone', Date.now(), Date.now() + 1, []);
    const doc = JSON.parse(first!.doc) as BatchDoc;
    doc.requestCounts.total = 3;
    await store.updateBatch('batch_1', 'gone', 'in_progress', JSON.stringify(doc));
    await store.putResults('batch_1', [{ line: 1, ok: true, json: '{"custom_id":"r1"}' }]);
    await new Promise((res) => setTimeout(res, 5)); // the lease runs out
    const sent: string[] = [];
    const r = runner(store, async (line) => (sent.push(line.customId), ok(line)));
    r.start();
    const done = await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
    expect(sent.sort()).toEqual(['r0', 'r2']);
    expect((await fileLines(store, done.output_file_id)).map((l) => l.custom_id)).toEqual([
      'r0',
      'r1',
      'r2',
    ]);
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
  });

  it('two runners on one store share the batches and never send a line twice', async () => {
    const store = createMemoryBatchStore();
    await upload(
      store,
      Array.from({ length: 30 }, (_, i) => chatLine(i)),
    );
    for (let i = 0; i < 4; i++) await createBatch(store, `batch_${i}`);
    const sent: string[] = [];
    const send = async (line: BatchLine, id: string) => {
      sent.push(`${id}`);
      await new Promise((res) => setTimeout(res, 1));
      return ok(line);
    };
    // Leases far longer than the test: a runner stalled by a loaded machine is not taken for
    // gone (its batch taken over, its lines sent again), which is the takeover tests' subject.
    const a = runner(store, send, { leaseMs: 60_000 });
    const b = runner(store, send, { leaseMs: 60_000 });
    a.start();
    b.start();
    for (let i = 0; i < 4; i++) await waitFor(store, `batch_${i}`, ['completed'], 10_000);
    await Promise.all([a.stop(), b.stop()]);
    expect(sent).toHaveLength(120);
  });

  it('every count written with the batch counts only lines whose results are kept', async () => {
    const inner = createMemoryBatchStore();
    await upload(inner, [chatLine(0), chatLine(1), chatLine(2)]);
    await createBatch(inner);
    const putting = deferred();
    const putGate = deferred();
    const writes: { counted: number; kept: number }[] = [];
    const store: BatchStore = {
      ...inner,
      async putResults(id, list) {
        putting.resolve();
        await putGate.promise;
        return inner.putResults(id, list);
      },
      async updateBatch(id, worker, status, doc) {
        if (status === 'in_progress') {
          const { completed, failed } = (JSON.parse(doc) as BatchDoc).requestCounts;
          writes.push({ counted: completed + failed, kept: (await inner.resultLines(id)).length });
        }
        return inner.updateBatch(id, worker, status, doc);
      },
    };
    const r1 = deferred();
    const r2 = deferred();
    const r = runner(store, async (line) => {
      if (line.customId === 'r1') await r1.promise;
      if (line.customId === 'r2') await r2.promise;
      return ok(line);
    });
    r.start();
    await putting.promise; // r0's result is being written (the periodic flush)
    r1.resolve(); // r1 finishes meanwhile
    await new Promise((res) => setTimeout(res, 10));
    putGate.resolve();
    r2.resolve();
    const done = await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
    expect(done.request_counts).toEqual({ total: 3, completed: 3, failed: 0 });
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(w.counted).toBeLessThanOrEqual(w.kept);
  });

  it('a cancel that arrives while the batch is being validated sends no line', async () => {
    const inner = createMemoryBatchStore();
    await upload(inner, [chatLine(0), chatLine(1)]);
    await createBatch(inner);
    const reading = deferred();
    const readGate = deferred();
    const store: BatchStore = {
      ...inner,
      async getFileContent(id, owner) {
        reading.resolve();
        await readGate.promise;
        return inner.getFileContent(id, owner);
      },
    };
    const sent: string[] = [];
    const r = runner(store, async (line) => (sent.push(line.customId), ok(line)), {
      leaseMs: 60_000,
    });
    r.start();
    await reading.promise;
    await store.requestCancel('batch_1', OWNER, Date.now());
    r.noticeCancel('batch_1');
    readGate.resolve();
    const done = await waitFor(store, 'batch_1', ['cancelled']);
    await r.stop();
    expect(sent).toEqual([]);
    expect(done.request_counts).toEqual({ total: 2, completed: 0, failed: 2 });
  });

  it('stop() waits for a batch that is finalizing, whose lease is renewed meanwhile', async () => {
    const inner = createMemoryBatchStore();
    await upload(inner, [chatLine(0)]);
    await createBatch(inner);
    const writing = deferred();
    const writeGate = deferred();
    const renewed: string[] = [];
    const store: BatchStore = {
      ...inner,
      async putFile(file, content) {
        if (file.purpose === 'batch_output') {
          writing.resolve();
          await writeGate.promise;
        }
        return inner.putFile(file, content);
      },
      async renewLease(id, worker, until) {
        renewed.push(id);
        return inner.renewLease(id, worker, until);
      },
    };
    const r = runner(store, async (line) => ok(line), { leaseMs: 30 });
    r.start();
    await writing.promise;
    const until = Date.now() + WAIT_TIMEOUT_MS;
    while (!renewed.includes('batch_1') && Date.now() < until)
      await new Promise((res) => setTimeout(res, 5));
    expect(renewed).toContain('batch_1');
    const stopping = r.stop();
    setTimeout(() => writeGate.resolve(), 20);
    await stopping;
    expect((await inner.getBatch('batch_1', OWNER))!.status).toBe('completed');
  });

  it('a batch that cannot be activated does not hold up the next one', async () => {
    const store = createMemoryBatchStore();
    await upload(store, [chatLine(0)]);
    await store.createBatch({
      id: 'batch_0',
      owner: OWNER,
      createdAt: 0,
      status: 'in_progress',
      doc: '{not json',
    });
    await createBatch(store);
    const warnings: string[] = [];
    const r = runner(store, async (line) => ok(line), {
      pollIntervalMs: 600_000,
      log: { warn: (m) => void warnings.push(m), info: () => {} },
    });
    r.start();
    await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
    expect(warnings.join('\n')).toContain('batch_0');
    expect(r.status()).toEqual({ active: 0, lines_in_flight: 0 });
  });

  it('a batch created while the runner is claiming is started without waiting for a poll', async () => {
    const inner = createMemoryBatchStore();
    await upload(inner, [chatLine(0)]);
    const claiming = deferred();
    const claimGate = deferred();
    let claims = 0;
    const store: BatchStore = {
      ...inner,
      async claimBatch(...args) {
        const got = await inner.claimBatch(...args);
        if (++claims === 1) {
          claiming.resolve();
          await claimGate.promise;
        }
        return got;
      },
    };
    const r = runner(store, async (line) => ok(line), {
      pollIntervalMs: 600_000,
    });
    r.start();
    await claiming.promise; // the first claim found nothing
    await createBatch(inner);
    r.wake(); // as POST /v1/batches does
    claimGate.resolve();
    await waitFor(store, 'batch_1', ['completed']);
    await r.stop();
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}
