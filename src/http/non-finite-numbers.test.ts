// A number past what a double holds (`1e400` in the JSON) is read as infinite; the 400 used to quote
// it as JSON writes an infinite number, `null`, which is not what the client sent.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';

describe('a number too large for a double', () => {
  it('is a 400 that says so, not "got null"', async () => {
    const config = testConfig();
    const t = await buildTestApp(config, simulatedAdapters(config));
    for (const [field, raw] of [
      ['max_tokens', '1e400'],
      ['temperature', '-1e400'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        payload: `{"model":"big","messages":[{"role":"user","content":"hi"}],"${field}":${raw}}`,
      });
      expect(res.statusCode, field).toBe(400);
      const error = res.json().error;
      expect(error.param).toBe(field);
      expect(error.message).not.toContain('got null');
      expect(error.message).toContain(
        `got a ${raw.startsWith('-') ? 'negative ' : ''}number too large to represent`,
      );
    }
    // Feedback's score and weight, and an OpenRouter-style `provider` field, likewise.
    for (const [url, payload, says] of [
      ['/v1/feedback', '{"request_id":"r","score":1e400}', "'score' must be a number from 0 to 1"],
      ['/v1/feedback', '{"request_id":"r","score":1,"weight":-1e400}', "'weight' must be"],
      [
        '/v1/chat/completions',
        '{"model":"big","messages":[{"role":"user","content":"hi"}],"provider":{"allow_fallbacks":1e400}}',
        'provider.allow_fallbacks must be true or false',
      ],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, payload).toBe(400);
      const { message } = res.json().error as { message: string };
      expect(message, payload).toContain(says);
      expect(message, payload).toMatch(/got a (negative )?number too large to represent/);
    }
    await t.app.close();
  });
});
