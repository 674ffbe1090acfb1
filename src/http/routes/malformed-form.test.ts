// A multipart body cut off before its closing boundary, or sent with no boundary, is the client's
// form at fault: a 400 saying the form could not be read, on every multipart route, not the 500
// (which the SDKs retry with the same bytes) that the parser's uncoded errors used to become.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';

const config = testConfig();
let t: Awaited<ReturnType<typeof buildTestApp>>;
beforeAll(async () => {
  t = await buildTestApp(config, simulatedAdapters(config), { files: createMemoryBatchStore() });
});
afterAll(async () => {
  await t.app.close();
});

const cutOff = (fields: [string, string][], file: string) =>
  [
    ...fields.map(
      ([k, v]) => `--XYZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
    ),
    `--XYZ\r\nContent-Disposition: form-data; name="${file}"; filename="a.bin"\r\n\r\nabc`,
  ].join('');

describe('a malformed multipart form', () => {
  it('is a 400 on files, audio and image edits, cut off or with no boundary', async () => {
    const routes: [string, [string, string][], string][] = [
      ['/v1/files', [['purpose', 'batch']], 'file'],
      ['/v1/audio/transcriptions', [['model', 'whisper-1']], 'file'],
      [
        '/v1/images/edits',
        [
          ['model', 'gpt-image-1'],
          ['prompt', 'a cat'],
        ],
        'image',
      ],
    ];
    for (const [url, fields, file] of routes)
      for (const [contentType, payload] of [
        ['multipart/form-data; boundary=XYZ', cutOff(fields, file)],
        ['multipart/form-data', 'abc'],
      ]) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': contentType },
          payload,
        });
        const what = `${url} ${contentType}`;
        expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
        expect(res.json().error, what).toMatchObject({ type: 'invalid_request_error' });
        expect(res.json().error.message, what).toContain('The multipart form could not be read');
      }
  });

  it("is a 400, not a request that never ends, when a file part's filename* holds a line break", async () => {
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // busboy stops without an error or an end on such a part (media audit F7, 2026-12-06).
    const routes: [string, [string, string][], string][] = [
      ['/v1/files', [['purpose', 'batch']], 'file'],
      ['/v1/audio/transcriptions', [['model', 'whisper-1']], 'file'],
      ['/v1/audio/translations', [['model', 'whisper-1']], 'file'],
      [
        '/v1/images/edits',
        [
          ['model', 'gpt-image-1'],
          ['prompt', 'a cat'],
        ],
        'image',
      ],
    ];
    for (const [url, fields, file] of routes) {
      // Binary bytes, as a WAV's (a part of text is dropped at once; of bytes, the parser stalls).
      const payload = Buffer.concat([
        Buffer.from(
          [
            ...fields.map(
              ([k, v]) => `--XYZ\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
            ),
            `--XYZ\r\nContent-Disposition: form-data; name="${file}"; filename*=UTF-8''a%0Ab.wav\r\nContent-Type: audio/wav\r\n\r\n`,
          ].join(''),
        ),
        Buffer.from(Array.from({ length: 256 * 400 }, (_, i) => i % 256)),
        Buffer.from('\r\n--XYZ--\r\n'),
      ]);
      // Over a real socket: the stall is seen once the whole body has arrived (`raw.complete`).
      const res = await fetch(`${base}${url}`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        body: payload,
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { error: { type: string } };
      expect(res.status, `${url}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error, url).toMatchObject({ type: 'invalid_request_error' });
    }
  }, 60_000);
});
