// Inline images in stored responses through the Responses API, on SQLite and a real PostgreSQL:
// kept as given within responses.storedInlineDataMaxBytes (the latest first), so a continued
// conversation still sends them upstream; an older one past the bound is stored, returned by
// input_items and sent on as the note that replaced it, never as its bytes again. The same image
// sent on every turn is kept once, and each turn sends it upstream as it was given.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isObject } from '../../core/is-object.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type FakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { PG_URL, dropSchema, pgAvailable } from '../../../test/helpers/postgres.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createResponseStore, type ConversationStore } from '../../store/response-store.js';
import type { RequestLogStore } from '../../store/request-log.js';
import { createPostgresRequestStore } from '../../store/sql/postgres-request-store.js';
import { createSqliteRequestStore } from '../../store/sql/sqlite-request-store.js';

const havePg = await pgAvailable('the PostgreSQL stored-inline-data tests');
const schema = `mr_inline_${process.pid}_${Date.now()}`;
const schemas: string[] = [];
afterAll(async () => {
  if (havePg) for (const s of schemas) await dropSchema(s);
});

const backends: { name: string; skip: boolean; open(): ConversationStore & RequestLogStore }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: () => createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-inl-')), 'r.db')),
  },
  {
    name: 'PostgreSQL',
    skip: !havePg,
    open() {
      const own = `${schema}_${schemas.length}`;
      schemas.push(own);
      return createPostgresRequestStore(PG_URL, { schema: own });
    },
  },
];

const MAX = 5000;
const png = (fill: string) => `data:image/png;base64,${fill.repeat(3000)}`;
const FIRST = png('A');
const SECOND = png('B');

describe.each(backends)('inline images in stored responses ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'a continued conversation sends the images within the bound; the older one past it as its note',
    async () => {
      const log = backend.open();
      const reply = [{ reply: 'a cat' }, { reply: 'a dog' }, { reply: 'both pets' }];
      const adapters: Record<string, FakeAdapter> = {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      };
      const config = testConfig();
      config.responses.storedInlineDataMaxBytes = MAX;
      const t = await buildTestApp(config, adapters, {
        responses: createResponseStore(100, log, {
          inlineDataMaxBytes: () => t.config.current.config.responses.storedInlineDataMaxBytes,
        }),
      });
      const ask = async (text: string, image?: string, previous?: string) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/responses',
          payload: {
            model: 'big',
            input: [
              {
                role: 'user',
                content: [
                  { type: 'input_text', text },
                  ...(image ? [{ type: 'input_image', image_url: image }] : []),
                ],
              },
            ],
            ...(previous ? { previous_response_id: previous } : {}),
          },
        });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().id as string;
      };
      const sent = () => JSON.stringify(adapters.big!.calls.at(-1)!.body);
      const first = await ask('what is this?', FIRST);
      const second = await ask('and this?', SECOND, first);
      // The first turn was stored whole (3,022 bytes): the second call sent both images.
      expect(sent()).toContain(FIRST);
      expect(sent()).toContain(SECOND);
      await ask('name them', undefined, second);
      // The second turn's stored conversation kept the latest image only.
      expect(sent()).toContain(SECOND);
      expect(sent()).not.toContain(FIRST);
      expect(sent()).toContain(
        `[image not stored: its ${FIRST.length} bytes of inline data are beyond responses.storedInlineDataMaxBytes (${MAX})]`,
      );
      // Each turn's own input comes back as given.
      const items = await t.app.inject({
        method: 'GET',
        url: `/v1/responses/${second}/input_items`,
      });
      expect(JSON.stringify(items.json())).toContain(SECOND);
      await log.close();
    },
  );
});

describe.each(backends)('the same image on every turn ($name)', (backend) => {
  it.skipIf(backend.skip)(
    'is kept once, and each turn sends every earlier one upstream byte for byte',
    async () => {
      const log = backend.open();
      const adapter = fakeAdapter('big', [{ reply: 'a cat' }]);
      const config = testConfig();
      const t = await buildTestApp(
        config,
        { big: adapter, mid: fakeAdapter('mid', []), small: fakeAdapter('small', []) },
        {
          responses: createResponseStore(100, log, {
            inlineDataMaxBytes: () => t.config.current.config.responses.storedInlineDataMaxBytes,
          }),
        },
      );
      // Not plain base64: characters a JSON text escapes must come back as sent too.
      const image = `data:image/svg+xml;utf8,${'<svg>"\\é😀</svg>\n'.repeat(400)}`;
      let previous: string | undefined;
      for (let turn = 1; turn <= 20; turn++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/responses',
          payload: {
            model: 'big',
            input: [
              {
                role: 'user',
                content: [
                  { type: 'input_text', text: `turn ${turn}` },
                  { type: 'input_image', image_url: image },
                ],
              },
            ],
            ...(previous ? { previous_response_id: previous } : {}),
          },
        });
        expect(res.statusCode, res.body).toBe(200);
        previous = res.json().id as string;
        const sent = adapter.calls
          .at(-1)!
          .body.messages.flatMap((m): unknown[] => (Array.isArray(m.content) ? m.content : []));
        const urls = sent.flatMap((p) =>
          isObject(p) && p.type === 'image_url' && isObject(p.image_url) ? [p.image_url.url] : [],
        );
        expect(urls).toEqual(Array<string>(turn).fill(image));
      }
      expect(await log.inlineBlobUsage()).toEqual({
        blobs: 1,
        bytes: Buffer.byteLength(JSON.stringify(image)),
      });
      const items = await t.app.inject({
        method: 'GET',
        url: `/v1/responses/${previous}/input_items`,
      });
      const input = items.json().data as { content: { type: string; image_url?: string }[] }[];
      expect(input.flatMap((i) => i.content).find((p) => p.type === 'input_image')?.image_url).toBe(
        image,
      );
      await log.close();
    },
  );
});
