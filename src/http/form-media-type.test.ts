// A body in a media type a route does not read is a 415 saying what to send: the routes that take
// multipart forms (files, audio, image edits and variations) said "Send the request body as JSON",
// which they answer (but image edits) with another 400 saying to send a form.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';

describe('a body in a media type the route does not read', () => {
  it('is a 415 naming multipart/form-data on the form routes and JSON elsewhere', async () => {
    const t = await buildTestApp(testConfig(), {}, { files: createMemoryBatchStore() });
    const post = (url: string, type: string, payload: string) =>
      t.app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
    for (const url of [
      '/v1/files',
      '/v1/audio/transcriptions',
      '/v1/audio/translations',
      '/v1/images/edits',
      '/v1/images/variations',
    ])
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        const res = await post(url, type, 'model=whisper-1');
        expect(res.statusCode, `${url} ${type}`).toBe(415);
        expect(res.json().error.code).toBe('unsupported_media_type');
        expect(res.json().error.message, `${url} ${type}`).toContain(
          'Send the request body as multipart/form-data',
        );
        expect(res.json().error.message).not.toContain('as JSON');
      }
    const chat = await post('/v1/chat/completions', 'application/x-www-form-urlencoded', 'a=b');
    expect(chat.statusCode).toBe(415);
    expect(chat.json().error.message).toBe(
      'Send the request body as JSON with content-type: application/json.',
    );
  });
});
