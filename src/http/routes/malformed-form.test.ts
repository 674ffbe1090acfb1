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
});
