// Background mode through the official `openai` SDK, on each response store (memory, SQLite, a
// real PostgreSQL): `background: true` answers `queued` at once and runs on; retrieve shows it
// running, then finished; cancel aborts the upstream call; a streamed one is resumed after a
// sequence number (an ended one alike on every replica, held in memory or not); a cancel reaches
// the replica running it; a dead replica's run is failed by the sweep. Upstream calls are held open
// by a gated fake, and a run's end in its replica's memory by a store holding its terminal event,
// so nothing depends on timing.
import OpenAI from 'openai';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { gatedAdapter, type GatedAdapter } from '../../../test/helpers/gated-adapter.js';
import { dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { responseStoreBackends } from '../../../test/helpers/response-store-backends.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import type { ResponsesBackgroundConfig } from '../../config/responses-schema.js';
import { createManualClock } from '../../core/clock.js';
import { MemoryState } from '../../store/memory/memory-state.js';
import type { RequestLogStore } from '../../store/request-log.js';
import { createResponseStore, type ResponseStore } from '../../store/response-store.js';
import type { SharedState } from '../../store/shared-state.js';
import { tenants } from '../../../test/helpers/two-tenants.js';

const havePg = await pgAvailable('the PostgreSQL background-response tests');
const schema = `mr_bg_${process.pid}_${Date.now()}`;

const opened: RequestLogStore[] = [];
const apps: TestApp[] = [];
const track = (s: RequestLogStore) => (opened.push(s), s);
const BACKENDS = responseStoreBackends({ havePg, schema, tmpPrefix: 'mr-bg-', track });
const heldStores: (() => void)[] = [];

afterEach(async () => {
  // A test that failed while a store held a run's end lets it go, so the replica can stop.
  for (const release of heldStores.splice(0)) release();
  for (const t of apps.splice(0)) {
    await t.background?.stop(0);
    // Every request has ended; a client's idle keep-alive socket need not hold the close.
    t.app.server.closeAllConnections();
    await t.app.close();
  }
  for (const s of opened.splice(0)) await s.close();
});

afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

/** One replica: the app listening on loopback, with `small` held open by a gated upstream. */
async function replica(
  store: ResponseStore,
  gated: GatedAdapter,
  opts: { state?: SharedState; settings?: Partial<ResponsesBackgroundConfig> } = {},
) {
  const plain = fakeAdapter('plain', [{ reply: 'four' }]);
  const t = await buildTestApp(
    // `responses.background` as an operator configures it (the lease 60 s unless a test says).
    testConfig({ responses: { background: { leaseSeconds: 60, ...opts.settings } } }),
    { big: plain, mid: plain, small: gated },
    {
      authenticator: tenants,
      responses: store,
      background: { state: opts.state, pollMs: 5 },
    },
  );
  apps.push(t);
  if (opts.state) await t.background!.start();
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const client = (tenant = 'team-a') =>
    new OpenAI({ baseURL: `${url}/v1`, apiKey: tenant, maxRetries: 0 });
  return { t, client };
}

/** Retrieves until `done` holds (each retrieve is a real GET; no time is asserted on). */
async function poll(client: OpenAI, id: string, done: (r: OpenAI.Responses.Response) => boolean) {
  for (;;) {
    const r = await client.responses.retrieve(id);
    if (done(r)) return r;
    await new Promise((res) => setTimeout(res, 5));
  }
}

const finished = (r: OpenAI.Responses.Response) =>
  r.status !== 'queued' && r.status !== 'in_progress';

/** Waits until `done` holds (each look lets the run go on; no time is asserted on). */
async function until(done: () => boolean) {
  while (!done()) await new Promise((res) => setTimeout(res, 5));
}

/** A streamed background response's events after `after`, as a client resuming it gets them. */
async function resumeAfter(client: OpenAI, id: string, after: number) {
  const replayed = (await client.responses.retrieve(id, {
    stream: true,
    starting_after: after,
  })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
  const got: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of replayed) got.push(event);
  return got;
}

/**
 * `store`, with the writes of terminal events held until `release()`: a run has told its end
 * (written its Response and sent its terminal event) but is still held in its replica's memory,
 * its terminal event not yet in the store, for as long as a test needs.
 */
function holdingTerminalEvents(store: ResponseStore) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  heldStores.push(release);
  const terminal = /"type":"response\.(completed|incomplete|failed)"/;
  const held: ResponseStore = {
    ...store,
    async appendEvents(id, first, events) {
      if (events.some((e) => terminal.test(e))) await gate;
      return store.appendEvents(id, first, events);
    },
  };
  return { store: held, release };
}

describe.each(BACKENDS)('background responses ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'answers queued at once, runs on as the caller, and is retrieved finished by its owner only',
    async () => {
      const gated = gatedAdapter('small-sim', [], ['Hello ', 'world']);
      const { t, client } = await replica(backend.open()(), gated);
      const reached = gated.reached();
      const { data: created, response: posted } = await client()
        .responses.create({ model: 'small', input: 'Say hello', background: true })
        .withResponse();
      expect(created.status).toBe('queued');
      // Nothing is routed yet: the reply names the request (the request log's id), no route.
      const requestId = posted.headers.get('x-request-id');
      expect(requestId).toMatch(/^req_/);
      expect([...posted.headers.keys()].filter((h) => h.startsWith('x-router-'))).toEqual([]);
      expect(created.background).toBe(true);
      expect(created.output).toEqual([]);
      await reached;
      const { data: running, response: polled } = await client()
        .responses.retrieve(created.id)
        .withResponse();
      expect(running.status).toBe('in_progress');
      expect(polled.headers.get('x-router-request-id')).toBe(requestId);
      expect(polled.headers.get('x-router-deployment')).toBeNull();
      await expect(client('team-b').responses.retrieve(created.id)).rejects.toMatchObject({
        status: 404,
      });
      gated.release();
      const done = await poll(client(), created.id, finished);
      expect(done.status).toBe('completed');
      expect(done.background).toBe(true);
      expect(done.output_text).toBe('Hello world');
      expect(done.model).toBe('small-sim');
      // Recorded as a foreground request would be: as the caller, on the Responses endpoint,
      // under the id the POST's reply gave.
      const record = t.records.find((r) => r.endpoint === 'responses');
      expect(record).toMatchObject({ tenant: 'team-a', keyId: 'k-team-a', status: 200, requestId });
      // Finished, its GET says how it was served, as a foreground reply's headers do.
      const { response: got } = await client().responses.retrieve(created.id).withResponse();
      expect(Object.fromEntries(got.headers)).toMatchObject({
        'x-router-request-id': requestId,
        'x-router-deployment': 'small',
        'x-router-model': 'small-sim',
        'x-router-attempts': '1',
      });
      expect(got.headers.get('x-request-id')).not.toBe(requestId); // the GET's own
      // It continues a conversation like any stored response.
      const next = await client().responses.create({
        model: 'big',
        input: 'Again',
        previous_response_id: created.id,
      });
      expect(next.status).toBe('completed');
    },
  );

  it.skipIf(backend.skip)(
    'a streamed run cancelled mid-answer names the model that was serving it',
    async () => {
      const gated = gatedAdapter('small-sim', ['One '], ['two']);
      const { client } = await replica(backend.open()(), gated);
      const reached = gated.reached();
      const stream = await client().responses.create({
        model: 'small',
        input: 'Count',
        background: true,
        stream: true,
      });
      let id = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') break;
      }
      await reached;
      // As the completed Response would (until 2026-12-06 the name the request asked for).
      const cancelled = await client().responses.cancel(id);
      expect([cancelled.status, cancelled.model]).toEqual(['cancelled', 'small-sim']);
      expect((await client().responses.retrieve(id)).model).toBe('small-sim');
    },
  );

  it.skipIf(backend.skip)(
    'cancel aborts the upstream call; again it answers the same; a finished or foreground one is a 400',
    async () => {
      const gated = gatedAdapter('small-sim', [], ['never']);
      const { t, client } = await replica(backend.open()(), gated);
      const reached = gated.reached();
      const created = await client().responses.create({
        model: 'small',
        input: 'Think long',
        background: true,
      });
      await reached;
      const cancelled = await client().responses.cancel(created.id);
      expect(cancelled.status).toBe('cancelled');
      expect(gated.aborted).toBe(1);
      // Recorded as a cancelled request (499: not an error of the router or the upstream).
      while (!t.records.some((r) => r.endpoint === 'responses'))
        await new Promise((res) => setTimeout(res, 5));
      expect(t.records[0]).toMatchObject({ status: 499, errorCode: 'response_cancelled' });
      expect((await client().responses.retrieve(created.id)).status).toBe('cancelled');
      expect((await client().responses.cancel(created.id)).status).toBe('cancelled');
      await expect(client('team-b').responses.cancel(created.id)).rejects.toMatchObject({
        status: 404,
      });
      const foreground = await client().responses.create({ model: 'big', input: 'hi' });
      await expect(client().responses.cancel(foreground.id)).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining('Cannot cancel a synchronous response'),
      });
      const quick = await client().responses.create({
        model: 'big',
        input: 'hi',
        background: true,
      });
      await poll(client(), quick.id, finished);
      await expect(client().responses.cancel(quick.id)).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining('Cannot cancel a completed response'),
      });
    },
  );

  it.skipIf(backend.skip)(
    'streams while running, and a client that dropped resumes after the last sequence number it had',
    async () => {
      const gated = gatedAdapter('small-sim', ['One ', 'two '], ['three ', 'four']);
      const { client } = await replica(backend.open()(), gated);
      const reached = gated.reached();
      const stream = await client().responses.create({
        model: 'small',
        input: 'Count',
        background: true,
        stream: true,
      });
      let id = '';
      let last = -1;
      let text = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') text += event.delta;
        last = event.sequence_number;
        if (text === 'One two ') break; // the client goes away mid-stream
      }
      await reached;
      expect((await client().responses.retrieve(id)).status).toBe('in_progress');
      gated.release();
      const resumed = (await client().responses.retrieve(id, {
        stream: true,
        starting_after: last,
      })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
      const sequence: number[] = [];
      let final: OpenAI.Responses.Response | undefined;
      for await (const event of resumed) {
        sequence.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') text += event.delta;
        if (event.type === 'response.completed') final = event.response;
      }
      expect(sequence[0]).toBe(last + 1);
      expect(sequence).toEqual(sequence.map((_, i) => last + 1 + i));
      expect(text).toBe('One two three four');
      expect(final?.status).toBe('completed');
      // Resumed at its terminal event, or past its end, it has nothing more to send (it used to
      // send response.completed again under a number that never existed).
      const terminal = sequence.at(-1)!;
      for (const after of [terminal, terminal + 10]) {
        const more = (await client().responses.retrieve(id, {
          stream: true,
          starting_after: after,
        })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
        const got: string[] = [];
        for await (const event of more) got.push(`${event.type}#${event.sequence_number}`);
        expect(got, `starting_after ${after}`).toEqual([]);
      }
      // The SDK's own resume replays from the start and rebuilds the whole response.
      const replay = client().responses.stream({ response_id: id });
      const whole = await replay.finalResponse();
      expect(whole.output_text).toBe('One two three four');
      // A response that did not stream has no events to replay.
      const plain = await client().responses.create({
        model: 'big',
        input: 'hi',
        background: true,
      });
      await expect(
        client().responses.retrieve(plain.id, { stream: true }) as unknown as Promise<unknown>,
      ).rejects.toMatchObject({ status: 400 });
    },
  );

  it.skipIf(backend.skip)(
    'keeps the first responses.background.maxKeptEvents events and the terminal one; a resume past them gets the terminal one',
    async () => {
      const words = ['a ', 'b ', 'c ', 'd ', 'e ', 'f'];
      const gated = gatedAdapter('small-sim', [], words);
      const { client } = await replica(backend.open()(), gated, { settings: { maxKeptEvents: 4 } });
      gated.release();
      const stream = await client().responses.create({
        model: 'small',
        input: 'Letters',
        background: true,
        stream: true,
      });
      // A live client still gets every event.
      const live: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) live.push(event);
      expect(live.map((e) => e.sequence_number)).toEqual(live.map((_, i) => i));
      expect(live.filter((e) => e.type === 'response.output_text.delta')).toHaveLength(6);
      const id = (live[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const resume = async (after: number) => {
        const replayed = (await client().responses.retrieve(id, {
          stream: true,
          starting_after: after,
        })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
        const kept: OpenAI.Responses.ResponseStreamEvent[] = [];
        for await (const event of replayed) kept.push(event);
        return kept;
      };
      expect(await resume(1)).toEqual([live[2], live[3], live.at(-1)]);
      // Past the kept events (sequence numbers 4 and on, before the terminal one): the terminal
      // event alone, with its own sequence number (the gap shows what was not kept) and the
      // whole output in its response.
      const past = await resume(5);
      expect(past).toEqual([live.at(-1)]);
      expect(past[0]).toMatchObject({
        type: 'response.completed',
        sequence_number: live.length - 1,
        response: { status: 'completed' },
      });
      const text = (past[0] as OpenAI.Responses.ResponseCompletedEvent).response.output
        .flatMap((o) => (o.type === 'message' ? o.content : []))
        .map((c) => (c.type === 'output_text' ? c.text : ''))
        .join('');
      expect(text).toBe('a b c d e f');
    },
  );

  it.skipIf(backend.skip)(
    'a resume of a run that has ended gets the kept events, whether or not its replica still holds the run',
    async () => {
      const gated = gatedAdapter('small-sim', [], ['a ', 'b ', 'c ', 'd ', 'e ', 'f']);
      const held = holdingTerminalEvents(backend.open()());
      const { t, client } = await replica(held.store, gated, { settings: { maxKeptEvents: 4 } });
      gated.release();
      const stream = await client().responses.create({
        model: 'small',
        input: 'Letters',
        background: true,
        stream: true,
      });
      const live: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) live.push(event);
      const id = (live[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const terminal = live.at(-1)!;
      expect(terminal.type).toBe('response.completed');
      // Its end is told; its terminal event is not written yet, so the replica still holds it (and
      // the latest events past the kept ones) in memory.
      expect(t.background!.running()).toBe(1);
      const kept = [live[2], live[3], terminal];
      // The kept events (the first 4) and the terminal one, as the store has them: not the events
      // of the tail the replica happened to hold (it answered 2, 3, 9, 10… until 2026-12-07).
      expect(await resumeAfter(client(), id, 1)).toEqual(kept);
      expect(await resumeAfter(client(), id, 5)).toEqual([terminal]);
      // Past its end: nothing, at once (it waited until the replica let the run go).
      expect(await resumeAfter(client(), id, terminal.sequence_number)).toEqual([]);
      held.release();
      await until(() => t.background!.running() === 0);
      expect(await resumeAfter(client(), id, 1)).toEqual(kept);
      expect(await resumeAfter(client(), id, 5)).toEqual([terminal]);
      expect(await resumeAfter(client(), id, terminal.sequence_number)).toEqual([]);
    },
  );

  it.skipIf(backend.skip)(
    'a resume while the run goes on gets the kept events, then the live ones, none lost or twice, though the run ends and is let go meanwhile',
    async () => {
      const gated = gatedAdapter('small-sim', ['a '], ['b ', 'c']);
      const { t, client } = await replica(backend.open()(), gated, {
        settings: { maxKeptEvents: 4 },
      });
      const reached = gated.reached();
      const stream = await client().responses.create({
        model: 'small',
        input: 'Letters',
        background: true,
        stream: true,
      });
      let id = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') break; // sequence number 4
      }
      await reached;
      // A follower as `GET …?stream=true&starting_after=1` makes, read one event at a time: it
      // takes the first event, then the run finishes and the replica lets it go before it reads on.
      const follower = t.background!.follow(id, 'team-a', 1, new AbortController().signal);
      const got = [(await follower.next()).value!];
      gated.release();
      await until(() => t.background!.running() === 0);
      for await (const event of follower) got.push(event);
      const events = got.map((e) => JSON.parse(e.data) as OpenAI.Responses.ResponseStreamEvent);
      const sequence = events.map((e) => e.sequence_number);
      // Every event from 2 to the terminal one (10): the kept ones (2, 3), then those past them
      // that only this replica's memory has, which the store, where it would have to go on from
      // once the run is let go, does not keep.
      expect(sequence).toEqual(sequence.map((_, i) => i + 2));
      expect(events.at(-1)).toMatchObject({ type: 'response.completed', sequence_number: 10 });
      const deltas = events.flatMap((e) =>
        e.type === 'response.output_text.delta' ? [e.delta] : [],
      );
      expect(deltas).toEqual(['a ', 'b ', 'c']);
    },
  );

  it.skipIf(backend.skip || !backend.shared)(
    'a follower on another replica told of the end before the terminal event is written gets that event, under its own number',
    async () => {
      const open = backend.open();
      const gated = gatedAdapter('small-sim', [], ['a ', 'b ', 'c ', 'd ', 'e ', 'f']);
      const held = holdingTerminalEvents(open());
      const a = await replica(held.store, gated, { settings: { maxKeptEvents: 4 } });
      const b = await replica(open(), gatedAdapter('small-sim', [], []));
      gated.release();
      const stream = await a.client().responses.create({
        model: 'small',
        input: 'Letters',
        background: true,
        stream: true,
      });
      const live: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) live.push(event);
      const id = (live[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
      const terminal = live.at(-1)!;
      // Replica B finds the response completed in the store, its terminal event not there yet.
      const early = await resumeAfter(b.client(), id, 1);
      // Not a response.completed numbered 4 (until 2026-12-07), then the real one again under 13.
      expect(early).toEqual([live[2], live[3], terminal]);
      held.release();
      await until(() => a.t.background!.running() === 0);
      expect(await resumeAfter(b.client(), id, 1)).toEqual(early);
      expect(await resumeAfter(b.client(), id, terminal.sequence_number)).toEqual([]);
    },
  );

  it.skipIf(backend.skip || !backend.shared)(
    'a cancel on another replica reaches the run: at once through pub/sub, else at its next renewal',
    async () => {
      const open = backend.open();
      const state = new MemoryState(createManualClock());
      for (const shared of [state, undefined]) {
        const gated = gatedAdapter('small-sim', [], ['never']);
        const a = await replica(open(), gated, { state: shared });
        const b = await replica(open(), gatedAdapter('small-sim', [], []), { state: shared });
        const reached = gated.reached();
        const created = await a.client().responses.create({
          model: 'small',
          input: 'Think long',
          background: true,
        });
        await reached;
        const cancelled = await b.client().responses.cancel(created.id);
        expect(cancelled.status).toBe('cancelled');
        if (!shared) {
          expect(gated.aborted).toBe(0); // nothing told replica A yet
          await a.t.background!.renew();
        }
        await poll(a.client(), created.id, () => gated.aborted === 1);
        expect((await a.client().responses.retrieve(created.id)).status).toBe('cancelled');
      }
    },
  );

  it.skipIf(backend.skip || !backend.shared)(
    'another replica replays the kept events and follows the run to its end',
    async () => {
      const open = backend.open();
      const gated = gatedAdapter('small-sim', ['One ', 'two '], ['three']);
      const a = await replica(open(), gated);
      const b = await replica(open(), gatedAdapter('small-sim', [], []));
      const reached = gated.reached();
      const stream = await a.client().responses.create({
        model: 'small',
        input: 'Count',
        background: true,
        stream: true,
      });
      let id = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') break;
      }
      await reached;
      const elsewhere = (await b.client().responses.retrieve(id, {
        stream: true,
        starting_after: 0,
      })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
      const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of elsewhere) {
        seen.push(event);
        // Replica B has the events kept so far; then the run goes on on replica A.
        if (event.type === 'response.output_text.delta' && event.delta === 'two ') gated.release();
      }
      expect(seen[0]!.sequence_number).toBe(1);
      expect(seen.map((e) => e.sequence_number)).toEqual(seen.map((_, i) => i + 1));
      const deltas = seen.flatMap((e) =>
        e.type === 'response.output_text.delta' ? [e.delta] : [],
      );
      expect(deltas).toEqual(['One ', 'two ', 'three']);
      expect(seen.at(-1)).toMatchObject({
        type: 'response.completed',
        response: { id, status: 'completed' },
      });
    },
  );

  it.skipIf(backend.skip)(
    'a replica shutting down fails the runs it could not finish',
    async () => {
      const gated = gatedAdapter('small-sim', [], ['late']);
      const { t, client } = await replica(backend.open()(), gated, {
        settings: { shutdownGraceSeconds: 0 },
      });
      const reached = gated.reached();
      const created = await client().responses.create({
        model: 'small',
        input: 'Think long',
        background: true,
      });
      await reached;
      // Stopped as the runtime stops it, with `shutdownGraceSeconds` 0: it does not wait for the
      // run, which would finish now (a grace taken from elsewhere would let it complete).
      const stopping = t.background!.stop();
      gated.release();
      await stopping;
      expect(gated.aborted).toBe(1);
      const failed = await client().responses.retrieve(created.id);
      expect(failed.status).toBe('failed');
      expect(failed.error?.message).toMatch(/shut down before it finished/);
    },
  );

  it.skipIf(backend.skip)(
    'a run a shutdown stops is logged 503 router_shutting_down, not as a client that left',
    async () => {
      const gated = gatedAdapter('small-sim', [], ['late']);
      const { t, client } = await replica(backend.open()(), gated, {
        settings: { shutdownGraceSeconds: 0 },
      });
      const reached = gated.reached();
      await client().responses.create({ model: 'small', input: 'Think long', background: true });
      await reached;
      await t.background!.stop(); // the upstream is still answering: the run is aborted
      expect(gated.aborted).toBe(1);
      // A 499 is left out of the error rate: the router's own stop would not show.
      expect(t.records.map((r) => [r.status, r.errorCode])).toEqual([
        [503, 'router_shutting_down'],
      ]);
    },
  );

  it.skipIf(backend.skip || !backend.shared)(
    'a replica that stops renewing leaves a response the sweep fails, not one in_progress forever',
    async () => {
      const open = backend.open();
      const gated = gatedAdapter('small-sim', [], ['late']);
      // The lease from the config (`responses.background.leaseSeconds`) is what the store keeps.
      const settings = { leaseSeconds: 5 };
      const a = await replica(open(), gated, { settings });
      const b = await replica(open(), gatedAdapter('small-sim', [], []), { settings });
      const reached = gated.reached();
      const created = await a.client().responses.create({
        model: 'small',
        input: 'Think long',
        background: true,
      });
      await reached;
      expect(await b.t.background!.sweep()).toBe(0); // its lease holds
      b.t.clock.advance(4_000); // replica A's renewals stop (its clock stands still)
      expect(await b.t.background!.sweep()).toBe(0); // 4 s into a 5 s lease
      b.t.clock.advance(2_000);
      expect(await b.t.background!.sweep()).toBe(1);
      const failed = await b.client().responses.retrieve(created.id);
      expect(failed.status).toBe('failed');
      expect(failed.error?.message).toMatch(/replica running this background response stopped/);
      // Replica A, were it alive after all, finds its lease gone and stops; its answer is not kept.
      await a.t.background!.renew();
      expect(gated.aborted).toBe(1);
      expect((await a.client().responses.retrieve(created.id)).status).toBe('failed');
    },
  );
});

describe('background requests that cannot be run', () => {
  it('background with store: false is a 400 naming store; a running one cannot be continued yet', async () => {
    const gated = gatedAdapter('small-sim', [], ['x']);
    const { client } = await replica(createResponseStore(), gated);
    await expect(
      client().responses.create({ model: 'small', input: 'hi', background: true, store: false }),
    ).rejects.toMatchObject({ status: 400, param: 'store' });
    expect(gated.calls).toBe(0);
    const reached = gated.reached();
    const created = await client().responses.create({
      model: 'small',
      input: 'hi',
      background: true,
    });
    await reached;
    await expect(
      client().responses.create({ model: 'big', input: 'more', previous_response_id: created.id }),
    ).rejects.toMatchObject({ status: 400, code: 'previous_response_in_progress' });
    gated.release();
  });

  it('an upstream failure ends the response failed with its error', async () => {
    const failing = fakeAdapter('small-sim', [
      { error: { status: 400, code: 'context_length_exceeded' } },
    ]);
    const plain = fakeAdapter('plain', [{ reply: 'four' }]);
    const t = await buildTestApp(
      testConfig(),
      { big: plain, mid: plain, small: failing },
      { authenticator: tenants, responses: createResponseStore() },
    );
    apps.push(t);
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'team-a', maxRetries: 0 });
    const created = await client.responses.create({
      model: 'small',
      input: 'hi',
      background: true,
    });
    const failed = await poll(client, created.id, finished);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'context_length_exceeded' });
  });
});
