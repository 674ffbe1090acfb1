// A background response whose replica died while running it: the replica whose sweep fails it
// writes its request-log record (the dead one never did), with the caller, the tags and, for a run
// that was streaming, where it was routed; not when the log has the request already. Two
// replicas on one SQLite request log; the dead one is a replica whose clock stands still.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { gatedAdapter, type GatedAdapter } from '../../../test/helpers/gated-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { tenants } from '../../../test/helpers/two-tenants.js';
import { RequestLog, type RequestLogStore } from '../../store/request-log.js';
import { newRequestRecord, type RequestRecord } from '../../store/request-record.js';
import { createResponseStore } from '../../store/response-store.js';
import { createSqliteRequestStore } from '../../store/sql/sqlite-request-store.js';
import { lostRunRecorder, REPLICA_STOPPED } from './lost-run-record.js';

const apps: TestApp[] = [];
const logs: RequestLog[] = [];

afterEach(async () => {
  for (const t of apps.splice(0)) {
    await t.background?.stop(0);
    t.app.server.closeAllConnections();
    await t.app.close();
  }
  for (const l of logs.splice(0)) await l.close();
});

/** A replica on `store`'s request log; B sweeps for the dead, writing their records there. */
async function replica(store: RequestLogStore, gated: GatedAdapter, sweeper: boolean) {
  const plain = fakeAdapter('plain', [{ reply: 'four' }]);
  const log = new RequestLog(store, {
    maxBuffer: 100,
    storeText: false,
    retentionDays: 30,
    flushIntervalMs: 5,
  });
  logs.push(log);
  const t = await buildTestApp(
    testConfig({ responses: { background: { leaseSeconds: 5 } } }),
    { big: plain, mid: plain, small: gated },
    {
      authenticator: tenants,
      responses: createResponseStore(10_000, store),
      requestLog: log,
      background: { pollMs: 5, ...(sweeper ? { recordLostRun: lostRunRecorder(log) } : {}) },
    },
  );
  apps.push(t);
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'team-a', maxRetries: 0 });
  return { t, client, log };
}

/** Two replicas on one SQLite file: A runs (and dies), B sweeps. */
async function pair() {
  const path = join(mkdtempSync(join(tmpdir(), 'mr-lost-')), 'r.db');
  const gated = gatedAdapter('small-sim', ['One '], ['two']);
  const a = await replica(createSqliteRequestStore(path), gated, false);
  const b = await replica(createSqliteRequestStore(path), gatedAdapter('small-sim', [], []), true);
  return { a, b, gated };
}

/** B's sweep once A's 5 s lease has run out (A's clock stands still: it renews nothing). */
async function sweepAfterLease(b: Awaited<ReturnType<typeof replica>>) {
  b.t.clock.advance(6_000);
  expect(await b.t.background!.sweep()).toBe(1);
  await b.log.flush();
}

async function recordsOf(log: RequestLog, requestId: string): Promise<RequestRecord[]> {
  await log.flush();
  return (await log.store.query(0)).filter((r) => r.requestId === requestId);
}

describe('the request-log record of a run its replica never finished', () => {
  it('is written by the sweep, with the caller, its tags and where a streamed run was routed', async () => {
    const { a, b, gated } = await pair();
    const reached = gated.reached();
    const stream = await a.client.responses.create({
      model: 'model-router',
      input: 'Count',
      background: true,
      stream: true,
      user: 'end-user-7',
      metadata: { team: 'search' },
    });
    let id = '';
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta') break; // streaming: A "dies" now
    }
    await reached;
    const requestId = (await a.client.responses.retrieve(id).withResponse()).response.headers.get(
      'x-router-request-id',
    )!;
    expect(await recordsOf(b.log, requestId)).toEqual([]); // A never finished it
    await sweepAfterLease(b);
    const [record, ...more] = await recordsOf(b.log, requestId);
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      endpoint: 'responses',
      tenant: 'team-a',
      keyId: 'k-team-a',
      endUser: 'end-user-7',
      tags: ['team=search'],
      stream: true,
      status: 500,
      errorCode: REPLICA_STOPPED,
      router: 'model-router',
      deployment: 'small',
      costUsd: 0,
    });
  });

  it('is not written again when the dead replica had written it', async () => {
    const { a, b, gated } = await pair();
    const reached = gated.reached();
    const created = await a.client.responses.create({
      model: 'small',
      input: 'Think',
      background: true,
    });
    await reached;
    const requestId = (
      await a.client.responses.retrieve(created.id).withResponse()
    ).response.headers.get('x-router-request-id')!;
    // As if A had logged the request just before it died.
    a.log.record(fakeRecord(requestId));
    await a.log.flush();
    await sweepAfterLease(b);
    expect((await recordsOf(b.log, requestId)).map((r) => r.errorCode)).toEqual(['from_a']);
  });
});

function fakeRecord(requestId: string): RequestRecord {
  const r = newRequestRecord({
    time: Date.now(),
    requestId,
    endpoint: 'responses',
    tenant: 'team-a',
    keyId: 'k-team-a',
    stream: false,
    endUser: undefined,
    tags: undefined,
  });
  r.status = 502;
  r.errorCode = 'from_a';
  return r;
}
