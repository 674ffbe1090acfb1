// The terminal event of a streamed background response that ended failed without writing one
// (its replica shut down, or died and the sweep failed it): every follower and every resume gets
// it under the same sequence number, wherever it resumes; and a native upstream's own
// `response.failed` reaches the client as one terminal event, not followed by the router's. On
// each response store (memory, SQLite, a real PostgreSQL); upstream calls are held open by a gated
// fake or scripted, so nothing depends on timing.
import OpenAI from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { gatedAdapter, type GatedAdapter } from '../../../test/helpers/gated-adapter.js';
import { dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { responseStoreBackends } from '../../../test/helpers/response-store-backends.js';
import { nativeCodexDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { tenants } from '../../../test/helpers/two-tenants.js';
import type { ResponsesBackgroundConfig } from '../../config/responses-schema.js';
import type { HttpClient } from '../../providers/http-client.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import type { RequestLogStore } from '../../store/request-log.js';
import { createResponseStore, type ResponseStore } from '../../store/response-store.js';

type Event = OpenAI.Responses.ResponseStreamEvent;

const havePg = await pgAvailable('the PostgreSQL background terminal-event tests');
const schema = `h_a2_bg_${process.pid}_${Date.now()}`;
const opened: RequestLogStore[] = [];
const apps: TestApp[] = [];
const track = (s: RequestLogStore) => (opened.push(s), s);

const BACKENDS = responseStoreBackends({ havePg, schema, tmpPrefix: 'mr-bg-term-', track });

afterEach(async () => {
  for (const t of apps.splice(0)) {
    await t.background?.stop(0);
    t.app.server.closeAllConnections();
    await t.app.close();
  }
  for (const s of opened.splice(0)) await s.close();
});

afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

/** One replica on loopback, `small` held open by a gated upstream. */
async function replica(
  store: ResponseStore,
  gated: GatedAdapter,
  settings: Partial<ResponsesBackgroundConfig> = {},
) {
  const plain = fakeAdapter('plain', [{ reply: 'four' }]);
  const t = await buildTestApp(
    testConfig({ responses: { background: { leaseSeconds: 5, ...settings } } }),
    { big: plain, mid: plain, small: gated },
    { authenticator: tenants, responses: store, background: { pollMs: 5 } },
  );
  apps.push(t);
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'team-a', maxRetries: 0 });
  return { t, client };
}

/** A streamed background response's events after `after`, as a client resuming it gets them. */
async function resumeAfter(client: OpenAI, id: string, after?: number): Promise<Event[]> {
  const replayed = (await client.responses.retrieve(id, {
    stream: true,
    ...(after === undefined ? {} : { starting_after: after }),
  })) as unknown as AsyncIterable<Event>;
  const got: Event[] = [];
  for await (const event of replayed) got.push(event);
  return got;
}

/** Starts a streamed run held after two deltas; its id, the stream, and the events read so far. */
async function startHeld(client: OpenAI, gated: GatedAdapter) {
  const reached = gated.reached();
  const stream = await client.responses.create({
    model: 'small',
    input: 'Letters',
    background: true,
    stream: true,
  });
  const iterator = stream[Symbol.asyncIterator]();
  const live: Event[] = [];
  while (live.filter((e) => e.type === 'response.output_text.delta').length < 2)
    live.push((await iterator.next()).value as Event);
  await reached;
  const id = (live[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
  return { id, iterator, live };
}

const label = (events: Event[]) => events.map((e) => `${e.type}#${e.sequence_number}`);

describe.each(BACKENDS)('a failed run with no terminal event of its own ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'stopped by a shutdown: its response.failed has one sequence number for every follower',
    async () => {
      const gated = gatedAdapter('small-sim', ['a ', 'b '], ['late']);
      // Two kept events: a resume past them reads none from the store.
      const { t, client } = await replica(backend.open()(), gated, {
        maxKeptEvents: 2,
        shutdownGraceSeconds: 0,
      });
      const { id, iterator, live } = await startHeld(client, gated);
      const last = live.at(-1)!.sequence_number;
      await t.background!.stop();
      // The creating stream, still open, ends with it.
      const rest: Event[] = [];
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value);
      const failed = `response.failed#${last + 1}`;
      expect(label(rest)).toEqual([failed]);
      // Resumed within the kept events, past them, at the last event sent, or past the end: the
      // same number (until 2026-12-07 #2, #4 and #5 by where the resume began).
      expect(label(await resumeAfter(client, id, 0))).toEqual([label(live)[1], failed]);
      expect(label(await resumeAfter(client, id, 3))).toEqual([failed]);
      expect(label(await resumeAfter(client, id, last))).toEqual([failed]);
      expect(await resumeAfter(client, id, last + 1)).toEqual([]);
    },
  );

  it.skipIf(backend.skip || !backend.shared)(
    'failed by the sweep: its response.failed has the number after the last event the store kept',
    async () => {
      const open = backend.open();
      const gated = gatedAdapter('small-sim', ['a ', 'b '], ['late']);
      const a = await replica(open(), gated, { maxKeptEvents: 2 });
      const b = await replica(open(), gatedAdapter('small-sim', [], []));
      const { id, live } = await startHeld(a.client, gated);
      // Replica A has written the kept events (its flush is not timed by the test: waited for).
      const store = open();
      while ((await store.events(id, -1, 10)).length < 2)
        await new Promise((r) => setTimeout(r, 5));
      b.t.clock.advance(6_000); // replica A's lease runs out (its clock stands still)
      expect(await b.t.background!.sweep()).toBe(1);
      // What replica A sent past the kept events is known to no other replica: the store keeps
      // events 0 and 1, so the made-up terminal event is #2 for every resume (until 2026-12-07:
      // #2 from one within the kept events, #4 from one after 3).
      const failed = 'response.failed#2';
      expect(label(await resumeAfter(b.client, id, 0))).toEqual([label(live)[1], failed]);
      expect(label(await resumeAfter(b.client, id, 1))).toEqual([failed]);
      // Past it, as past any terminal event: nothing more.
      expect(await resumeAfter(b.client, id, 3)).toEqual([]);
    },
  );
});

/** An HttpClient answering every request with these Responses stream events (SSE). */
function sseHttp(events: Record<string, unknown>[]): HttpClient {
  const text = events
    .map(
      (e, i) =>
        `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`,
    )
    .join('');
  return {
    request: async () => ({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: (async function* () {
        yield Buffer.from(text);
      })(),
    }),
    close: async () => {},
  } as unknown as HttpClient;
}

describe('a native upstream stream that ends with its own response.failed', () => {
  it('the background stream ends with exactly one response.failed, with its error', async () => {
    const upstream = {
      id: 'resp_up',
      object: 'response',
      status: 'in_progress',
      model: 'gpt-5.1-codex',
      output: [],
    };
    const item = { type: 'message', id: 'msg_up', role: 'assistant', content: [] };
    const config = testConfig({ deployments: [nativeCodexDeployment()], routers: [] });
    const http = sseHttp([
      { type: 'response.created', response: upstream },
      { type: 'response.in_progress', response: upstream },
      { type: 'response.output_item.added', output_index: 0, item },
      { type: 'response.output_text.delta', item_id: 'msg_up', output_index: 0, delta: 'Hal' },
      {
        type: 'response.failed',
        response: {
          ...upstream,
          status: 'failed',
          error: { code: 'server_error', message: 'The model broke off.' },
        },
      },
    ]);
    const t = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { authenticator: tenants, responses: createResponseStore(), background: { pollMs: 5 } },
    );
    apps.push(t);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'team-a', maxRetries: 0 });
    const stream = await client.responses.create({
      model: 'codex',
      input: 'Hello',
      background: true,
      stream: true,
    });
    const live: Event[] = [];
    for await (const event of stream) live.push(event);
    const terminal = live.filter((e) =>
      ['response.completed', 'response.incomplete', 'response.failed'].includes(e.type),
    );
    expect(label(terminal)).toEqual([`response.failed#${live.length - 1}`]);
    expect(live.map((e) => e.sequence_number)).toEqual(live.map((_, i) => i));
    const id = (live[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    expect(await resumeAfter(client, id)).toEqual(live);
    const failed = await client.responses.retrieve(id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toMatch(/The model broke off\./);
  });
});
