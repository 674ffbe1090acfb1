// Routes that keep something for the caller and call no model take one request from the key's
// RPM (security audit F2, 2026-12-06): through the whole runtime and the official SDKs, a key
// limited to 2 RPM uploads two files, not three; creates two conversations, not three; reads are
// not charged; a key with no limit is never refused for it.
import OpenAI, { RateLimitError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import { hashApiKey } from '../auth/api-key.js';
import { createManualClock } from '../core/clock.js';
import { createRuntime, type Runtime } from '../runtime.js';

const LIMITED = 'mr-kr-limited-0123456789abcdef';
const FREE = 'mr-kr-free-0123456789abcdef';
let rt: Runtime;
let url: string;
const clock = createManualClock(Date.UTC(2026, 11, 6, 9, 0, 0));

beforeAll(async () => {
  rt = await createRuntime(
    testConfig({
      auth: {
        mode: 'keys',
        keys: [
          { id: 'lim', hash: hashApiKey(LIMITED), tenant: 'acme', rateLimit: { rpm: 2 } },
          { id: 'free', hash: hashApiKey(FREE), tenant: 'acme' },
        ],
      },
    }),
    { clock },
  );
  url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await rt?.close();
});

const client = (key: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
const upload = (c: OpenAI, i: number) =>
  toFile(Buffer.from(`{"n":${i}}\n`), `f${i}.jsonl`).then((file) =>
    c.files.create({ file, purpose: 'user_data' }),
  );

describe('key RPM on routes that store and call no model', () => {
  it('a 2 RPM key uploads two files and gets the 429 on the third; listing is not charged', async () => {
    clock.advance(120_000);
    const c = client(LIMITED);
    for (let i = 0; i < 5; i++) await c.files.list();
    await upload(c, 1);
    await upload(c, 2);
    const err = await upload(c, 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect((err as RateLimitError).headers.get('retry-after')).toBeTruthy();
    expect((await c.files.list()).data).toHaveLength(2);
  });

  it('conversations: two created, the third refused, then admitted once the minute refills', async () => {
    clock.advance(120_000);
    const c = client(LIMITED);
    await c.conversations.create({});
    const conv = await c.conversations.create({});
    await c.conversations.retrieve(conv.id);
    await expect(
      c.conversations.items.create(conv.id, {
        items: [{ type: 'message', role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(RateLimitError);
    clock.advance(30_000);
    await c.conversations.items.create(conv.id, {
      items: [{ type: 'message', role: 'user', content: 'hi' }],
    });
  });

  it('a key with no limit is not refused', async () => {
    const c = client(FREE);
    for (let i = 0; i < 6; i++) await c.conversations.create({});
    for (let i = 0; i < 3; i++) await upload(c, 10 + i);
  });
});
