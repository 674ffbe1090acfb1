// Batches where they are kept for real: two replicas sharing one PostgreSQL request log (a file
// uploaded to one is read from the other, a batch created on one is run once, by one of them, and
// its output read from either), and the embedded SQLite default (a batch created while no runner
// ran is picked up by the next process on the same file and completed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyUsage, type BatchDoc } from '../../src/batch/batch-object.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { createSqliteRequestStore } from '../../src/store/sql/sqlite-request-store.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { settle } from '../helpers/batch-client.js';
import { dropSchema, PG_URL, pgAvailable } from '../helpers/postgres.js';
import { testConfig } from '../helpers/test-config.js';

const schema = `mr_batch_${process.pid}_${Date.now()}`;

const havePg = await pgAvailable('the shared-batch tests');

afterAll(async () => {
  if (!havePg) return;
  await dropSchema(schema);
});

const requests = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `q${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'model-router', messages: [{ role: 'user', content: `Question ${i}` }] },
    }),
  ).join('\n');

async function start(requestLog: object, records: RequestRecord[], enabled = true) {
  const rt = await createRuntime(
    testConfig({ requestLog, batches: { pollIntervalMs: 50, enabled } } as never),
    { recorder: { record: (r) => void records.push(r) } },
  );
  const url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  return { rt, client: new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 }) };
}

describe('batches kept in the request-log store', () => {
  it.skipIf(!havePg)(
    'two replicas on one PostgreSQL: files and batches are shared, every line runs once',
    async () => {
      const records: RequestRecord[] = [];
      const log = { kind: 'postgres', postgresUrl: PG_URL, postgresSchema: schema };
      const a = await start(log, records);
      const b = await start(log, records);
      try {
        const file = await a.client.files.create({
          file: await toFile(Buffer.from(requests(40)), 'shared.jsonl'),
          purpose: 'batch',
        });
        expect((await b.client.files.retrieve(file.id)).bytes).toBe(file.bytes);
        const batches = await Promise.all(
          [a, b, a].map((r) =>
            r.client.batches.create({
              input_file_id: file.id,
              endpoint: '/v1/chat/completions',
              completion_window: '24h',
            }),
          ),
        );
        for (const batch of batches) {
          const done = await settle(b.client, batch.id, 20_000);
          expect(done.request_counts).toEqual({ total: 40, completed: 40, failed: 0 });
          const text = await (await a.client.files.content(done.output_file_id!)).text();
          expect(text.trim().split('\n')).toHaveLength(40);
          const ran = records.filter((r) => r.tags?.includes(`batch:${batch.id}`));
          expect(ran).toHaveLength(40); // once each, over both replicas
        }
        expect((await a.client.batches.list({ limit: 100 })).data.map((x) => x.id)).toEqual(
          expect.arrayContaining(batches.map((x) => x.id)),
        );
      } finally {
        await a.rt.close();
        await b.rt.close();
      }
    },
  );

  it('SQLite: a batch left in the file by a process that stopped is completed by the next one, and its output outlives it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-batch-'));
    const sqlitePath = join(dir, 'requests.db');
    const log = { kind: 'sqlite', sqlitePath };
    const records: RequestRecord[] = [];
    let second: { rt: Runtime; client: OpenAI } | undefined;
    try {
      // What a process that died after accepting the batch leaves behind: the file and the batch.
      const store = createSqliteRequestStore(sqlitePath);
      const content = Buffer.from(requests(5));
      await store.putFile(
        {
          id: 'file-left',
          owner: 'default',
          purpose: 'batch',
          filename: 'left.jsonl',
          bytes: content.length,
          createdAt: Date.now(),
        },
        content,
      );
      const doc: BatchDoc = {
        endpoint: '/v1/chat/completions',
        inputFileId: 'file-left',
        completionWindow: '24h',
        metadata: null,
        expiresAt: Date.now() + 86_400_000,
        requestCounts: { total: 0, completed: 0, failed: 0 },
        usage: emptyUsage(),
      };
      await store.createBatch({
        id: 'batch_left',
        owner: 'default',
        createdAt: Date.now(),
        status: 'validating',
        doc: JSON.stringify(doc),
      });
      await store.close();
      const next = await start(log, records);
      const done = await settle(next.client, 'batch_left', 20_000);
      expect(done.request_counts).toEqual({ total: 5, completed: 5, failed: 0 });
      await next.rt.close();
      second = await start(log, records);
      const again = await second.client.batches.retrieve('batch_left');
      expect(again).toMatchObject({ status: 'completed', output_file_id: done.output_file_id });
      const text = await (await second.client.files.content(done.output_file_id!)).text();
      expect(
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).custom_id),
      ).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    } finally {
      await second?.rt.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
