// `batches` against a running router's admin API (createRuntime on a loopback port): every tenant's
// unfinished batches over several pages, the other filters, a cancel, and the errors a caller
// sees (no admin key, a key that is not an admin's, a finished batch).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { emptyUsage, type BatchDoc } from '../batch/batch-object.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { BatchStatus } from '../store/batch-store.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { batchLine, run } from './batches.js';
import { captureIo } from '../../test/helpers/cli-io.js';

const ADMIN = 'mr-batches-cli-ops-0123456789';
const USER = 'mr-batches-cli-user-0123456789';
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

let rt: Runtime;
let url: string;

const io = (env: NodeJS.ProcessEnv = { MODEL_ROUTER_ADMIN_KEY: ADMIN }) => captureIo(env);

beforeAll(async () => {
  rt = await createRuntime(
    testConfig({
      auth: {
        mode: 'keys',
        keys: [
          { id: 'ops', hash: hashApiKey(ADMIN), tenant: 'ops', admin: true },
          { id: 'app', hash: hashApiKey(USER), tenant: 'acme' },
        ],
      },
      requestLog: {
        kind: 'sqlite',
        sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-batches-cli-')), 'requests.db'),
      },
      // No runner: the batches stay as written.
      batches: { enabled: false },
    }),
  );
  const store = rt.requestLog!.store;
  const doc = (total: number, keyId?: string): BatchDoc => ({
    ...(keyId ? { keyId } : {}),
    endpoint: '/v1/chat/completions',
    inputFileId: 'file-x',
    completionWindow: '24h',
    metadata: null,
    expiresAt: T0 + 86_400_000,
    requestCounts: { total, completed: 1, failed: 0 },
    usage: emptyUsage(),
  });
  const put = (id: string, owner: string, at: number, status: BatchStatus) =>
    store.createBatch({
      id,
      owner,
      createdAt: at,
      status,
      doc: JSON.stringify(doc(3, owner === 'beta' && id.startsWith('batch_') ? 'b' : undefined)),
    });
  // More unfinished batches than one page holds.
  for (let i = 0; i < 101; i++)
    await put(
      `batch_${String(i).padStart(3, '0')}`,
      i % 2 ? 'acme' : 'beta',
      T0 + i,
      'in_progress',
    );
  await put('batch_done', 'acme', T0 + 500, 'completed');
  await put('msgbatch_new', 'beta', T0 + 600, 'validating');
  url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await rt?.close();
});

describe('batches CLI', () => {
  it("lists every tenant's unfinished batches, following the pages", async () => {
    const c = io();
    expect(await run(['--url', url], c.io)).toBe(0);
    const lines = c.lines();
    expect(lines).toHaveLength(102);
    expect(lines[0]).toBe(
      'msgbatch_new\ttenant=beta\tkey=-\tanthropic\tin_progress\t1 succeeded, 0 errored, 0 not run, 2 processing\t2026-01-01T00:00:00.600Z\t/v1/messages',
    );
    expect(lines[1]).toBe(
      'batch_100\ttenant=beta\tkey=b\topenai\tin_progress\t1 completed, 0 failed of 3\t2026-01-01T00:00:00.000Z\t/v1/chat/completions',
    );
    expect(lines.at(-1)).toMatch(/^batch_000\t/);
    expect(lines.some((l) => l.startsWith('batch_done'))).toBe(false);
  });

  it('--status and --tenant narrow it; --json prints the admin API objects', async () => {
    const done = io();
    expect(await run(['list', '--url', url, '--status', 'finished', '--json'], done.io)).toBe(0);
    const json = JSON.parse(done.lines().join('\n')) as Record<string, unknown>[];
    expect(json).toEqual([
      expect.objectContaining({ id: 'batch_done', tenant: 'acme', api: 'openai' }),
    ]);
    const acme = io();
    expect(await run(['--url', url, '--status', 'all', '--tenant', 'acme'], acme.io)).toBe(0);
    expect(acme.lines()).toHaveLength(51);
    expect(acme.lines()[0]).toMatch(/^batch_done\ttenant=acme\tkey=-\topenai\tcompleted\t/);
    const none = io();
    expect(await run(['--url', url, '--tenant', 'nobody'], none.io)).toBe(0);
    expect(none.err.join('')).toBe('no unfinished batches\n');
  });

  it("cancels any tenant's batch; refuses a finished one and any key but an admin's", async () => {
    const c = io();
    expect(await run(['cancel', 'msgbatch_new', '--url', url], c.io)).toBe(0);
    expect(c.lines()[0]).toMatch(/^msgbatch_new\ttenant=beta\tkey=-\tanthropic\tcanceling\t/);
    expect((await rt.requestLog!.store.findBatch('msgbatch_new'))?.cancelRequestedAt).toBeDefined();
    const finished = io();
    expect(await run(['cancel', 'batch_done', '--url', url], finished.io)).toBe(1);
    expect(finished.err.join('')).toMatch(/HTTP 409: Batch batch_done is completed/);
    const user = io();
    expect(await run(['--url', url, '--admin-key', USER], user.io)).toBe(1);
    expect(user.err.join('')).toMatch(/HTTP 403/);
    const keyless = io({});
    expect(await run(['--url', url], keyless.io)).toBe(1);
    expect(keyless.err.join('')).toMatch(/an admin key is needed/);
    const bad = io();
    // A bad value is a usage error: main.ts prints it as one line and exits 2.
    await expect(run(['--url', url, '--status', 'running'], bad.io)).rejects.toThrow(
      '--status must be unfinished, finished or all (got "running")',
    );
    expect(await run(['cancel', '--url', url], bad.io)).toBe(2);
  });

  it('reads both APIs into the same columns', () => {
    expect(
      batchLine({
        id: 'batch_1',
        api: 'openai',
        tenant: 't',
        key_id: 'k1',
        status: 'cancelling',
        endpoint: '/v1/embeddings',
        created_at: 1_767_225_600,
        request_counts: { total: 5, completed: 2, failed: 1 },
      }),
    ).toBe(
      'batch_1\ttenant=t\tkey=k1\topenai\tcancelling\t2 completed, 1 failed of 5\t2026-01-01T00:00:00.000Z\t/v1/embeddings',
    );
  });
});
