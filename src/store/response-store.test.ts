// The response store's contract for background runs, the same on every backend (memory, SQLite,
// a real PostgreSQL): only the lease holder writes a running response; a cancel or the sweep ends
// it once, and then the holder's writes fail; the sweep takes only leases that ran out; kept
// events come back in order after a sequence number and go with their response (delete, retention);
// output items are found by id for their tenant only, and go with their response too.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, dropSchema, pgAvailable } from '../../test/helpers/postgres.js';
import type { RequestLogStore } from './request-log.js';
import { createResponseStore, type ResponseStore, type StoredResponse } from './response-store.js';
import { createPostgresRequestStore } from './sql/postgres-request-store.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL response-store tests');
const schema = `mr_rstore_${process.pid}_${Date.now()}`;
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const T0 = 1_700_000_000_000;

function response(id: string, status: string, owner = 'team-a'): StoredResponse {
  return {
    id,
    messages: [{ role: 'user', content: 'hi' }],
    model: 'm',
    createdAt: T0,
    response: { id, object: 'response', status, background: true },
    owner,
  };
}

const backends: {
  name: string;
  skip: boolean;
  open(opts?: Parameters<typeof createResponseStore>[2]): {
    store: ResponseStore;
    log?: RequestLogStore;
    /** From now on the database refuses every write of an output item (its tables exist). */
    refuseItems?: () => Promise<void>;
  };
}[] = [
  {
    name: 'memory',
    skip: false,
    open: (opts) => ({ store: createResponseStore(100, undefined, opts) }),
  },
  {
    name: 'SQLite',
    skip: false,
    open(opts) {
      const path = join(mkdtempSync(join(tmpdir(), 'mr-rs-')), 'r.db');
      const log = createSqliteRequestStore(path);
      const refuseItems = async () => {
        const db = new Database(path);
        db.exec(
          "CREATE TRIGGER refuse_items BEFORE INSERT ON response_items BEGIN SELECT RAISE(ABORT, 'items refused'); END",
        );
        db.close();
      };
      return { store: createResponseStore(100, log, opts), log, refuseItems };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open(opts) {
      const own = `${schema}_${Math.random().toString(36).slice(2, 8)}`;
      schemas.push(own);
      const log = createPostgresRequestStore(PG_URL, { schema: own });
      const refuseItems = async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(
          `CREATE FUNCTION "${own}".refuse_items() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'items refused'; END $$;
           CREATE TRIGGER refuse_items BEFORE INSERT ON "${own}".response_items FOR EACH ROW EXECUTE FUNCTION "${own}".refuse_items()`,
        );
        await c.end();
      };
      return { store: createResponseStore(100, log, opts), log, refuseItems };
    },
  },
];

describe.each(backends)('response store runs ($name)', (backend) => {
  it.skipIf(backend.skip)('only the lease holder writes; a cancel ends the run once', async () => {
    const { store, log } = backend.open();
    await store.save(response('resp_1', 'queued'), { holder: 'A', until: T0 + 1000 });
    expect(await store.update(response('resp_1', 'in_progress'), 'B', T0 + 2000)).toBe(false);
    expect(await store.update(response('resp_1', 'in_progress'), 'A', T0 + 2000)).toBe(true);
    expect((await store.get('resp_1', 'team-a'))?.response?.status).toBe('in_progress');
    expect(await store.renew('resp_1', 'A', T0 + 3000)).toBe(true);
    expect(await store.end(response('resp_1', 'cancelled'))).toBe(true);
    expect(await store.end(response('resp_1', 'cancelled'))).toBe(false);
    // The holder finds it is no longer its run.
    expect(await store.renew('resp_1', 'A', T0 + 4000)).toBe(false);
    expect(await store.update(response('resp_1', 'completed'), 'A', null)).toBe(false);
    expect((await store.get('resp_1', 'team-a'))?.response?.status).toBe('cancelled');
    // A finished run (lease released by its holder) cannot be cancelled any more.
    await store.save(response('resp_2', 'queued'), { holder: 'A', until: T0 + 1000 });
    expect(await store.update(response('resp_2', 'completed'), 'A', null)).toBe(true);
    expect(await store.end(response('resp_2', 'cancelled'))).toBe(false);
    expect((await store.get('resp_2', 'team-a'))?.response?.status).toBe('completed');
    await log?.close();
  });

  it.skipIf(backend.skip)('the sweep sees and ends only leases that ran out', async () => {
    const { store, log } = backend.open();
    await store.save(response('resp_old', 'in_progress'), { holder: 'A', until: T0 + 1000 });
    await store.save(response('resp_new', 'in_progress'), { holder: 'B', until: T0 + 9000 });
    await store.save(response('resp_plain', 'completed'));
    const expired = await store.expired(T0 + 5000, 10);
    expect(expired.map((r) => r.id)).toEqual(['resp_old']);
    expect(await store.end(response('resp_new', 'failed'), T0 + 5000)).toBe(false);
    expect(await store.end(response('resp_old', 'failed'), T0 + 5000)).toBe(true);
    expect(await store.expired(T0 + 5000, 10)).toEqual([]);
    expect(await store.renew('resp_old', 'A', T0 + 6000)).toBe(false);
    await log?.close();
  });

  it.skipIf(backend.skip)(
    'kept events come back after a sequence number and go with their response',
    async () => {
      const { store, log } = backend.open();
      await store.save(response('resp_s', 'in_progress'), { holder: 'A', until: T0 + 1000 });
      const ev = (n: number) => JSON.stringify({ type: 'x', sequence_number: n });
      await store.appendEvents('resp_s', 0, [ev(0), ev(1), ev(2)]);
      await store.appendEvents('resp_s', 3, [ev(3)]);
      await store.appendEvents('resp_s', 9, [ev(9)]); // the terminal one past a gap
      expect(await store.events('resp_s', -1, 100)).toEqual([ev(0), ev(1), ev(2), ev(3), ev(9)]);
      expect(await store.events('resp_s', 1, 2)).toEqual([ev(2), ev(3)]);
      expect(await store.events('resp_s', 3, 100)).toEqual([ev(9)]);
      expect(await store.events('resp_s', 9, 100)).toEqual([]);
      expect(await store.delete('resp_s', 'team-a')).toBe(true);
      expect(await store.events('resp_s', -1, 100)).toEqual([]);
      if (log) {
        await store.save(response('resp_r', 'completed'));
        await store.appendEvents('resp_r', 0, [ev(0)]);
        await log.deleteOlderThan(T0 + 1);
        expect(await store.events('resp_r', -1, 100)).toEqual([]);
        expect(await store.get('resp_r', 'team-a')).toBeUndefined();
        await log.close();
      }
    },
  );

  it.skipIf(backend.skip)(
    'output items are found by id, for their tenant only, and go with their response',
    async () => {
      const { store, log } = backend.open();
      const output = [
        { type: 'reasoning', id: 'rs_a', summary: [] },
        {
          type: 'message',
          id: 'msg_a',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'four' }],
        },
        { type: 'function_call', id: 'fc_a', call_id: 'call_1', name: 'f', arguments: '{}' },
      ];
      const done = response('resp_i', 'completed');
      await store.save({ ...done, response: { ...done.response, output } });
      const found = await store.items('team-a', ['msg_a', 'fc_a', 'rs_a', 'msg_nope']);
      expect(Object.fromEntries(found)).toEqual({
        rs_a: output[0],
        msg_a: output[1],
        fc_a: output[2],
      });
      // Another tenant's ids do not exist for it.
      expect((await store.items('team-b', ['msg_a', 'fc_a'])).size).toBe(0);
      expect((await store.items('team-a', [])).size).toBe(0);
      // A background response's items, once its run wrote them.
      await store.save(response('resp_bg', 'queued'), { holder: 'A', until: T0 + 1000 });
      expect((await store.items('team-a', ['msg_bg'])).size).toBe(0);
      const bg = response('resp_bg', 'completed');
      const bgOutput = [{ type: 'message', id: 'msg_bg', role: 'assistant', content: [] }];
      expect(
        await store.update({ ...bg, response: { ...bg.response, output: bgOutput } }, 'A', null),
      ).toBe(true);
      expect([...(await store.items('team-a', ['msg_bg'])).keys()]).toEqual(['msg_bg']);
      // Deleted with their response, and past the log's retention.
      expect(await store.delete('resp_i', 'team-a')).toBe(true);
      expect((await store.items('team-a', ['msg_a', 'fc_a', 'rs_a'])).size).toBe(0);
      if (log) {
        await log.deleteOlderThan(T0 + 1);
        expect((await store.items('team-a', ['msg_bg'])).size).toBe(0);
        await log.close();
      }
    },
  );
});

// The request-log stores write a run's end in one transaction or statement; a trigger that refuses
// item writes shows it (the in-memory store has no partial write to fail).
describe.each(backends.filter((b) => b.name !== 'memory'))(
  "a run's final write in the request-log stores ($name)",
  (backend) => {
    it.skipIf(backend.skip)(
      "a run's final write keeps the response and its items together: when the items cannot be written, neither is",
      async () => {
        const { store, log, refuseItems } = backend.open();
        await store.save(response('resp_f', 'in_progress'), { holder: 'A', until: T0 + 1000 });
        await refuseItems!();
        const withOutput = (status: string) => {
          const r = response('resp_f', status);
          const output = [{ type: 'message', id: `msg_${status}`, role: 'assistant', content: [] }];
          return { ...r, response: { ...r.response, output } };
        };
        // The run's end (lease released) and a cancel: each fails whole.
        await expect(store.update(withOutput('completed'), 'A', null)).rejects.toThrow(
          /items refused/,
        );
        await expect(store.end(withOutput('cancelled'))).rejects.toThrow(/items refused/);
        expect((await store.get('resp_f', 'team-a'))?.response?.status).toBe('in_progress');
        // Still A's run, to end again.
        expect(await store.renew('resp_f', 'A', T0 + 2000)).toBe(true);
        // Without items (a failed run has none) the write goes through.
        expect(await store.update(response('resp_f', 'failed'), 'A', null)).toBe(true);
        expect((await store.get('resp_f', 'team-a'))?.response?.status).toBe('failed');
        await log?.close();
      },
    );
  },
);

it('the memory store forgets the items of the responses it no longer keeps', async () => {
  const store = createResponseStore(2);
  for (const n of [1, 2, 3]) {
    const r = response(`resp_${n}`, 'completed');
    await store.save({
      ...r,
      response: { ...r.response, output: [{ type: 'message', id: `msg_${n}` }] },
    });
  }
  const found = await store.items('team-a', ['msg_1', 'msg_2', 'msg_3']);
  expect([...found.keys()].sort()).toEqual(['msg_2', 'msg_3']);
});

describe.each(backends)('inline data in stored responses ($name)', (backend) => {
  const dataUrl = (kind: string, chars: number) => `data:${kind};base64,${'A'.repeat(chars)}`;
  const image = dataUrl('image/png', 3000);
  const pdf = dataUrl('application/pdf', 2000);
  const conversation = (): StoredResponse => ({
    ...response('resp_inline', 'completed'),
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: image } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
        ],
      },
      { role: 'assistant', content: 'a cat' },
      {
        role: 'user',
        content: [
          { type: 'file', file: { file_data: pdf, filename: 'cv.pdf' } },
          { type: 'input_audio', input_audio: { data: 'B'.repeat(100), format: 'wav' } },
        ],
      },
    ],
  });

  it.skipIf(backend.skip)(
    'keeps them up to responses.storedInlineDataMaxBytes, the latest first; beyond, a note in their place',
    async () => {
      let max = 4000;
      const { store, log } = backend.open({ inlineDataMaxBytes: () => max });
      await store.save(conversation());
      const kept = (await store.get('resp_inline', 'team-a'))!.messages;
      // The latest turn's file and audio (2,128 bytes) fit; the first turn's image does not.
      expect(kept[2]).toEqual(conversation().messages[2]);
      expect(kept[0]!.content).toEqual([
        { type: 'text', text: 'what is this?' },
        {
          type: 'text',
          text: `[image not stored: its ${image.length} bytes of inline data are beyond responses.storedInlineDataMaxBytes (4000)]`,
        },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ]);
      expect(JSON.stringify(kept)).not.toContain(image);
      // A background run's writes are bounded too (read as each is written): all fit now.
      max = 10_000;
      await store.save(response('resp_bg', 'queued'), { holder: 'A', until: T0 + 1000 });
      const run = { ...conversation(), id: 'resp_bg' };
      expect(await store.update(run, 'A', T0 + 2000)).toBe(true);
      expect((await store.get('resp_bg', 'team-a'))!.messages).toEqual(conversation().messages);
      max = 0;
      expect(await store.end({ ...run, response: { status: 'cancelled' } })).toBe(true);
      const ended = (await store.get('resp_bg', 'team-a'))!.messages;
      expect(JSON.stringify(ended)).not.toContain('base64');
      expect(JSON.stringify(ended)).toContain(`[file cv.pdf not stored: its ${pdf.length} bytes`);
      expect(JSON.stringify(ended)).toContain('[audio not stored: its 100 bytes');
      await log?.close();
    },
  );

  it.skipIf(backend.skip)(
    'counts a payload the conversation sends on every turn once: each turn keeps it',
    async () => {
      // Room for the image once (3,022 bytes), not twice; the PDF does not fit beside it.
      const { store, log } = backend.open({ inlineDataMaxBytes: () => 4000 });
      const turn = (url: string) => ({
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'and now?' },
          { type: 'image_url' as const, image_url: { url } },
        ],
      });
      const messages = [turn(image), turn(pdf), turn(image), turn(image)];
      await store.save({ ...response('resp_again', 'completed'), messages });
      const kept = (await store.get('resp_again', 'team-a'))!.messages;
      for (const m of [0, 2, 3]) expect(kept[m], `turn ${m}`).toEqual(messages[m]);
      expect(JSON.stringify(kept[1])).toContain(
        `[image not stored: its ${pdf.length} bytes of inline data are beyond`,
      );
      await log?.close();
    },
  );
});
