// `item_reference` input items (and items with only an `id`) are the stored items they name, as
// OpenAI resolves them: earlier responses' output items (ids as the client got them, in JSON and
// in stream events) and input items (ids as `input_items` lists them), on every store, across
// replicas sharing PostgreSQL; of the caller's tenant only, and a 400 naming `input[i].id` else.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type FakeAdapter, type Step } from '../../../test/helpers/fake-adapter.js';
import { PG_URL, dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createMemoryConversationStore } from '../../store/memory/memory-conversation-store.js';
import type { RequestLogStore } from '../../store/request-log.js';
import { createResponseStore, type ConversationStore } from '../../store/response-store.js';
import { createPostgresRequestStore } from '../../store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../store/sql/sqlite-request-store.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

const havePg = await pgAvailable('the PostgreSQL item reference tests');
const schema = `mr_itemref_${process.pid}_${Date.now()}`;
afterAll(async () => {
  if (havePg) await dropSchema(schema);
});

type Json = Record<string, unknown>;

async function replica(backing: ConversationStore, script: Step[]) {
  const adapters = {
    big: fakeAdapter('big', script),
    mid: fakeAdapter('mid', script),
    small: fakeAdapter('small', script),
  };
  const t = await buildTestApp(testConfig(), adapters, {
    authenticator: tenants,
    responses: createResponseStore(10_000, backing),
  });
  /** The chat messages the upstream got last. */
  const lastMessages = () =>
    Object.values(adapters)
      .flatMap((a: FakeAdapter) => a.calls)
      .at(-1)?.body.messages;
  return { ...t, lastMessages };
}

async function post(t: TestApp, payload: Json, tenant = 'team-a') {
  return t.app.inject({ method: 'POST', url: '/v1/responses', headers: as(tenant), payload });
}

/** The `data` of each event of a Responses stream. */
function streamEvents(body: string): Json[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as Json);
}

const thinking = { thinking: 'Two and two.', signature: 'sig-1' };
const logs: RequestLogStore[] = [];
afterAll(async () => {
  for (const log of logs) await log.close();
});
const sqlite = () => {
  const log = createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-iref-')), 'r.db'));
  logs.push(log);
  return log;
};
const postgres = () => {
  const log = createPostgresRequestStore(PG_URL, { schema });
  logs.push(log);
  return log;
};

const backends: { name: string; skip: boolean; open(): [ConversationStore, ConversationStore] }[] =
  [
    {
      name: 'memory',
      skip: false,
      open() {
        const one = createMemoryConversationStore(100);
        return [one, one];
      },
    },
    {
      name: 'SQLite',
      skip: false,
      open() {
        const one = sqlite();
        return [one, one];
      },
    },
    // Two replicas, each with its own pool, sharing the database.
    { name: 'PostgreSQL, two replicas', skip: !havePg, open: () => [postgres(), postgres()] },
  ];

describe.each(backends)('item references ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'an item_reference or an id-only item is the stored item it names, output or input',
    async () => {
      const [storeA, storeB] = backend.open();
      const a = await replica(storeA, [{ reply: 'four', think: thinking }]);
      const b = await replica(storeB, [{ reply: 'four', think: thinking }]);
      const first = await post(a, { model: 'model-router', input: 'What is 2+2?' });
      expect(first.statusCode, first.body).toBe(200);
      const output = first.json().output as Json[];
      expect(output.map((o) => o.type)).toEqual(['reasoning', 'message']);
      // A streamed turn: the ids in its events are the ones kept.
      const streamed = await post(a, { model: 'model-router', input: 'Again?', stream: true });
      const events = streamEvents(streamed.body);
      const doneIds = events
        .filter((e) => e.type === 'response.output_item.done')
        .map((e) => (e.item as Json).id);
      const completed = events.find((e) => e.type === 'response.completed')!.response as Json;
      expect((completed.output as Json[]).map((o) => o.id)).toEqual(doneIds);
      // A background one: its items are kept when its run ends.
      const queued = await post(a, { model: 'model-router', input: 'Later?', background: true });
      let later = queued.json() as Json;
      while (later.status === 'queued' || later.status === 'in_progress') {
        await new Promise((r) => setImmediate(r));
        const got = await a.app.inject({
          method: 'GET',
          url: `/v1/responses/${String(later.id)}`,
          headers: as('team-a'),
        });
        later = got.json() as Json;
      }
      const laterId = (later.output as Json[])[1]!.id;
      const fromBackground = await post(b, {
        model: 'model-router',
        input: [
          { type: 'item_reference', id: laterId },
          { role: 'user', content: 'Now?' },
        ],
      });
      expect(fromBackground.statusCode, fromBackground.body).toBe(200);
      expect(b.lastMessages()!.map((m) => [m.role, m.content])).toEqual([
        ['assistant', 'four'],
        ['user', 'Now?'],
      ]);
      // On the other replica: references to both turns' items, one of them the id-only form.
      const next = await post(b, {
        model: 'model-router',
        input: [
          { role: 'user', content: 'What is 2+2?' },
          { type: 'item_reference', id: output[0]!.id },
          { type: 'item_reference', id: output[1]!.id },
          { role: 'user', content: 'Again?' },
          { id: doneIds[1] },
          { role: 'user', content: 'And?' },
        ],
      });
      expect(next.statusCode, next.body).toBe(200);
      expect(b.lastMessages()!.map((m) => [m.role, m.content])).toEqual([
        ['user', 'What is 2+2?'],
        ['assistant', 'four'],
        ['user', 'Again?'],
        ['assistant', 'four'],
        ['user', 'And?'],
      ]);
      // The referenced reasoning went with its turn (listed before its message, as it came).
      const listed = await b.app.inject({
        method: 'GET',
        url: `/v1/responses/${next.json().id}/input_items?order=asc`,
        headers: as('team-a'),
      });
      const items = listed.json().data as Json[];
      expect(items.map((i) => i.type ?? i.role)).toEqual([
        'message',
        'reasoning',
        'message',
        'message',
        'message',
        'message',
      ]);
      expect(items[1]!.summary).toEqual(output[0]!.summary);
      // An input item, by the id input_items lists it with.
      const again = await post(a, {
        model: 'model-router',
        input: [{ type: 'item_reference', id: items[5]!.id }],
      });
      expect(again.statusCode, again.body).toBe(200);
      expect(a.lastMessages()!.map((m) => [m.role, m.content])).toEqual([['user', 'And?']]);
    },
  );
});

describe('item references that name nothing the caller may see', () => {
  it("another tenant's, unknown, deleted and store: false items are a 400 naming input[i].id", async () => {
    const t = await replica(sqlite(), [{ reply: 'the secret answer' }]);
    const created = await post(t, { model: 'model-router', input: 'Tell me a secret' });
    const secretId = (created.json().output as Json[])[0]!.id as string;
    const refused = async (input: unknown[], tenant = 'team-a') => {
      const res = await post(t, { model: 'model-router', input }, tenant);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.body).not.toContain('the secret answer');
      return res.json().error as Json;
    };
    // Another tenant: not found, as if it did not exist, never its content.
    expect(
      await refused(
        [
          { role: 'user', content: 'hi' },
          { type: 'item_reference', id: secretId },
        ],
        'team-b',
      ),
    ).toMatchObject({
      type: 'invalid_request_error',
      param: 'input[1].id',
      code: 'item_not_found',
    });
    expect(await refused([{ id: secretId }], 'team-b')).toMatchObject({ param: 'input[0].id' });
    // Another tenant's input item, by the id input_items lists it with.
    const listed = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${created.json().id}/input_items`,
      headers: as('team-a'),
    });
    const inputId = (listed.json().data as Json[])[0]!.id;
    expect(inputId).toMatch(/^msg_/);
    expect(await refused([{ type: 'item_reference', id: inputId }], 'team-b')).toMatchObject({
      param: 'input[0].id',
    });
    // Unknown.
    const unknown = await refused([{ type: 'item_reference', id: 'msg_nope' }]);
    expect(unknown).toMatchObject({ param: 'input[0].id', code: 'item_not_found' });
    expect(unknown.message).toContain('msg_nope');
    // Not a string.
    expect(await refused([{ type: 'item_reference', id: 7 }])).toMatchObject({
      param: 'input[0].id',
    });
    // A response stored with store: false has no items.
    const unstored = await post(t, { model: 'model-router', input: 'x', store: false });
    const unstoredId = (unstored.json().output as Json[])[0]!.id;
    expect(await refused([{ type: 'item_reference', id: unstoredId }])).toMatchObject({
      param: 'input[0].id',
    });
    // Deleted: its items go with it.
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/responses/${created.json().id}`,
      headers: as('team-a'),
    });
    expect(deleted.statusCode).toBe(200);
    expect(await refused([{ type: 'item_reference', id: secretId }])).toMatchObject({
      param: 'input[0].id',
    });
  });
});
