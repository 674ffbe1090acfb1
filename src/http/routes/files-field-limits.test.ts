// Multipart text fields of a file upload, through the app on a loopback port: a field of exactly
// 1 KB is read whole (an `expires_after[seconds]` padded with zeros to 1 KB sets the expiry it
// says); one byte more is a 400 in OpenAI's shape (`string_above_max_length`) naming the field and
// the limit, never a cut value (cut by one byte, 86400 seconds would have become 8640).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { MAX_FILES_FIELD_BYTES } from './files-routes.js';

const LIMIT = 1024;
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await buildTestApp(testConfig(), {}, { files: createMemoryBatchStore() });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(() => t?.app.close());

type Reply = {
  status: number;
  body: { error?: unknown; created_at?: number; expires_at?: number };
};

/** A batch input upload with these extra text fields. */
async function upload(fields: Record<string, string>): Promise<Reply> {
  const f = new FormData();
  f.set('purpose', 'batch');
  for (const [name, value] of Object.entries(fields)) f.set(name, value);
  f.set('file', new Blob(['{}\n'], { type: 'application/jsonl' }), 'in.jsonl');
  const res = await fetch(`${base}/v1/files`, { method: 'POST', body: f });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

/** `seconds` written out to `length` bytes with leading zeros. */
const padded = (seconds: number, length: number) => String(seconds).padStart(length, '0');

const tooLong = (param: string) => ({
  status: 400,
  body: {
    error: {
      type: 'invalid_request_error',
      code: 'string_above_max_length',
      param,
      message: `Invalid '${param}': string too long. Expected a string with maximum length ${LIMIT} bytes (1 KB) in a multipart form field; send a shorter one.`,
    },
  },
});

describe('multipart text fields of POST /v1/files', () => {
  it('holds 1 KB', () => expect(MAX_FILES_FIELD_BYTES).toBe(LIMIT));

  it('reads an expires_after[seconds] of exactly 1 KB whole; one byte more is a 400', async () => {
    const whole = await upload({
      'expires_after[anchor]': 'created_at',
      'expires_after[seconds]': padded(86400, LIMIT),
    });
    expect(whole.status).toBe(200);
    expect(whole.body.expires_at! - whole.body.created_at!).toBe(86400);

    expect(
      await upload({
        'expires_after[anchor]': 'created_at',
        'expires_after[seconds]': padded(86400, LIMIT + 1),
      }),
    ).toEqual(tooLong('expires_after[seconds]'));
  });

  it('a field the router does not read is refused past 1 KB too, not cut', async () => {
    expect((await upload({ note: 'a'.repeat(LIMIT) })).status).toBe(200);
    expect(await upload({ note: 'a'.repeat(LIMIT + 1) })).toEqual(tooLong('note'));
  });
});
