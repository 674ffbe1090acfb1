// A replica killed (SIGKILL) while its batch's webhook waits to be tried again: the built router
// runs a batch on a SQLite request log, the receiver is down when the batch ends, the process is
// killed where it stands; a new process on the same file delivers the event with the same
// webhook-id (the openai SDK verifies it), and the admin API shows it delivered.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const ADMIN_KEY = 'mr-webhook-kill-admin-0123456789';
const ENV = {
  MR_KILL_HOOK_SECRET: `whsec_${Buffer.alloc(32, 4).toString('base64')}`,
  MR_KILL_ADMIN_KEY: ADMIN_KEY,
};
const started: SpawnedServer[] = [];
const got: { headers: IncomingHttpHeaders; body: string }[] = [];
let up = false;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    got.push({ headers: req.headers, body });
    // Down: the connection drops without an answer.
    if (!up) return req.socket.destroy();
    res.writeHead(204).end();
  });
});

afterAll(async () => {
  for (const s of started) await s.stop('SIGKILL');
  await new Promise((r) => receiver.close(r));
});

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  const end = Date.now() + 40_000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('a batch webhook whose replica is killed before it is delivered', () => {
  it('is delivered by the next process on the same store, same webhook-id', async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const { port } = receiver.address() as { port: number };
    const config: ConfigInput = testConfigInput({
      auth: { mode: 'none', adminKeyEnv: 'MR_KILL_ADMIN_KEY' },
      requestLog: {
        kind: 'sqlite',
        sqlitePath: join(mkdtempSync(join(tmpdir(), 'mr-whkill-')), 'requests.db'),
      },
      batches: {
        pollIntervalMs: 100,
        // A kill mid-attempt leaves the delivery leased for this plus 10 s.
        webhookTimeoutMs: 2_000,
        webhooks: [{ url: `http://127.0.0.1:${port}/hook`, secretEnv: 'MR_KILL_HOOK_SECRET' }],
      },
    });
    const first = await spawnServer(config, ENV);
    started.push(first);
    const form = new FormData();
    const line = {
      custom_id: 'only',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'small', messages: [{ role: 'user', content: 'hello' }] },
    };
    form.append('purpose', 'batch');
    form.append('file', new Blob([JSON.stringify(line)]), 'one.jsonl');
    const file = (await (
      await fetch(`${first.baseUrl}/v1/files`, { method: 'POST', body: form })
    ).json()) as { id: string };
    const batch = (await (
      await fetch(`${first.baseUrl}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          input_file_id: file.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        }),
      })
    ).json()) as { id: string };
    // The batch ends, its webhook's first attempt finds the receiver down: kill the replica now,
    // mid-attempt or just after (then the event waits for its next attempt, or for the attempt's
    // lease to run out).
    await until('the first attempt', () => got.length >= 1);
    await first.stop('SIGKILL');
    const firstId = got[0]!.headers['webhook-id'];
    expect(firstId).toMatch(/^evt_/);

    up = true;
    const before = got.length;
    const second = await spawnServer(config, ENV);
    started.push(second);
    await until('the delivery', () => got.length > before);
    const delivered = got.at(-1)!;
    expect(delivered.headers['webhook-id']).toBe(firstId);
    const event = await new OpenAI({ apiKey: 'unused' }).webhooks.unwrap(
      delivered.body,
      delivered.headers,
      ENV.MR_KILL_HOOK_SECRET,
    );
    expect(event).toMatchObject({ id: firstId, type: 'batch.completed', data: { id: batch.id } });
    await until('the delivery to be recorded', async () => {
      const list = (await (
        await fetch(`${second.baseUrl}/admin/v1/batch-webhooks?batch_id=${batch.id}`, {
          headers: { authorization: `Bearer ${ADMIN_KEY}` },
        })
      ).json()) as { data: { status: string; event_id: string; host: string }[] };
      return list.data.length === 1 && list.data[0]!.status === 'delivered';
    });
    const metrics = await (await fetch(`${second.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /model_router_batch_webhooks_total\{event="batch.completed",outcome="delivered"\} 1\n/,
    );
  }, 90_000);
});
