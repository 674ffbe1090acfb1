// Batch webhooks from the built server, the way a user runs it: a batch and a Message Batch run
// through the simulated fleet, and a loopback receiver gets `batch.completed` for each, which the
// official `openai` SDK's `webhooks.unwrap` verifies with the webhook's secret; the receiver's
// first answer is a 503, so the event comes again with the same webhook-id. A config whose secret
// variable is unset does not start, and says which variable.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const SECRET = `whsec_${Buffer.from('model-router batch webhook e2e secret!!').toString('base64')}`;
const SECRET_ENV = 'MR_E2E_BATCH_HOOK_SECRET';

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

let receiver: Server;
let server: SpawnedServer | undefined;
const deliveries: Delivery[] = [];
/** Statuses the receiver answers in turn; 200 once they run out. */
const answers = [503];

function config(receiverUrl: string): ConfigInput {
  return testConfigInput({
    batches: {
      pollIntervalMs: 50,
      webhooks: [{ url: `${receiverUrl}/hooks/batches?token=abc`, secretEnv: SECRET_ENV }],
    },
  });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const answered = answers.shift() ?? 200;
      deliveries.push({ path: req.url ?? '', headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const { port } = receiver.address() as { port: number };
  server = await spawnServer(config(`http://127.0.0.1:${port}`), { [SECRET_ENV]: SECRET });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((r) => receiver?.close(r));
});

/** The deliveries of the event about batch `id`, once one of them was answered 2xx. */
async function deliveredFor(id: string): Promise<Delivery[]> {
  const until = Date.now() + 20_000;
  for (;;) {
    const mine = deliveries.filter((d) => d.body.includes(`"${id}"`));
    if (mine.some((d) => d.answered === 200)) return mine;
    if (Date.now() > until) throw new Error(`no delivery for ${id}: ${JSON.stringify(deliveries)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('batch webhooks', () => {
  it('a completed batch is announced, signed so the openai SDK verifies it, retried after a 503', async () => {
    const client = new OpenAI({
      baseURL: `${server!.baseUrl}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      webhookSecret: SECRET,
    });
    const line = {
      custom_id: 'a',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'model-router', messages: [{ role: 'user', content: 'Say hello' }] },
    };
    const file = await client.files.create({
      file: await toFile(Buffer.from(JSON.stringify(line) + '\n'), 'requests.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const mine = await deliveredFor(batch.id);
    expect(mine.map((d) => d.answered)).toEqual([503, 200]);
    expect(mine[0]!.path).toBe('/hooks/batches?token=abc');
    expect(mine[1]!.headers['webhook-id']).toBe(mine[0]!.headers['webhook-id']);
    const delivered = mine[1]!;
    expect(delivered.headers['content-type']).toBe('application/json');
    // The client's secret (`webhookSecret`) checks the signature; a wrong one does not.
    const event = await client.webhooks.unwrap(delivered.body, delivered.headers);
    expect(event).toEqual({
      id: delivered.headers['webhook-id'],
      object: 'event',
      type: 'batch.completed',
      created_at: expect.any(Number),
      data: { id: batch.id },
    });
    await expect(
      client.webhooks.unwrap(delivered.body, delivered.headers, `whsec_${'A'.repeat(44)}`),
    ).rejects.toThrow(/signature/);
    // The event comes once the batch is completed, never before.
    const done = await client.batches.retrieve(batch.id);
    expect(done.status).toBe('completed');
    expect(event.created_at).toBe(done.completed_at);
  });

  it('a Message Batch that ends is announced by its own id', async () => {
    const res = await fetch(`${server!.baseUrl}/v1/messages/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        requests: [
          {
            custom_id: 'm',
            params: {
              model: 'model-router',
              max_tokens: 32,
              messages: [{ role: 'user', content: 'Hi' }],
            },
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^msgbatch_/);
    const [delivered] = await deliveredFor(id);
    const client = new OpenAI({ apiKey: 'unused' });
    const event = await client.webhooks.unwrap(delivered!.body, delivered!.headers, SECRET);
    expect(event).toMatchObject({ type: 'batch.completed', data: { id } });
  });

  it('counts its deliveries in model_router_batch_webhooks_total', async () => {
    const text = await (await fetch(`${server!.baseUrl}/metrics`)).text();
    expect(text).toMatch(
      /model_router_batch_webhooks_total\{event="batch.completed",outcome="retried"\} 1\n/,
    );
    expect(text).toMatch(
      /model_router_batch_webhooks_total\{event="batch.completed",outcome="delivered"\} 2\n/,
    );
  });

  it('does not start when the secret variable is unset, and names it', async () => {
    await expect(spawnServer(config('http://127.0.0.1:9'))).rejects.toThrow(
      new RegExp(
        `batches\\.webhooks\\[0\\]\\.secretEnv: the environment variable ${SECRET_ENV} is not set`,
      ),
    );
  });
});
