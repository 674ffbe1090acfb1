// A tenant's file storage limit (`batches.maxStoredMegabytesPerTenant`) through the running router
// on its SQLite store: uploads through the openai SDK and a Message Batch through the Anthropic SDK
// past it are refused with a 413 saying what is stored; other tenants are not limited by it;
// deleting a file frees its bytes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';

const KEY_A = 'mr-quota-team-a-0123456789';
const KEY_B = 'mr-quota-team-b-0123456789';
const line = (i: number) =>
  `${JSON.stringify({ custom_id: `r${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'model-router', messages: [{ role: 'user', content: 'x'.repeat(600) }] } })}\n`;

describe('file storage per tenant', () => {
  it('refuses an upload or a Message Batch that would pass the limit, per tenant; a delete frees it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-quota-'));
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          auth: {
            mode: 'keys',
            keys: [
              { id: 'a', hash: hashApiKey(KEY_A), tenant: 'team-a', scopes: ['*'] },
              { id: 'b', hash: hashApiKey(KEY_B), tenant: 'team-b', scopes: ['*'] },
            ],
          },
          requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'r.db') },
          // 2,000 bytes a tenant.
          batches: { maxStoredMegabytesPerTenant: 0.002 },
        }),
        {},
      ).config,
    );
    const url = await rt.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const client = (apiKey: string) =>
        new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
      const a = client(KEY_A);
      const upload = async (c: OpenAI, n: number) =>
        c.files.create({
          file: await toFile(Buffer.from(line(n)), `in-${n}.jsonl`),
          purpose: 'batch',
        });
      const first = await upload(a, 1);
      expect(first.bytes).toBeGreaterThan(700);
      await upload(a, 2);
      // A third would take team-a past 2,000 bytes.
      const refused = await upload(a, 3).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.APIError);
      const err = refused as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(413);
      expect(err.code).toBe('storage_quota_exceeded');
      expect(err.message).toContain('batches.maxStoredMegabytesPerTenant');
      expect(err.message).toContain(`${((2 * first.bytes) / 1e3).toFixed(1)} KB stored of 2.0 KB`);
      expect((await a.files.list()).data).toHaveLength(2);
      // Another tenant stores its own.
      expect((await upload(client(KEY_B), 4)).bytes).toBe(first.bytes);
      // A Message Batch's requests are files too.
      const claude = new Anthropic({ apiKey: KEY_A, baseURL: url, maxRetries: 0 });
      const batch = await claude.messages.batches
        .create({
          requests: [
            {
              custom_id: 'm1',
              params: {
                model: 'model-router',
                max_tokens: 16,
                messages: [{ role: 'user', content: 'y'.repeat(600) }],
              },
            },
          ],
        })
        .catch((e: unknown) => e);
      expect(batch).toBeInstanceOf(Anthropic.APIError);
      expect((batch as InstanceType<typeof Anthropic.APIError>).status).toBe(413);
      // Deleting a file frees its bytes.
      await a.files.delete(first.id);
      expect((await upload(a, 5)).bytes).toBe(first.bytes);
    } finally {
      await rt.close();
    }
  });
});
