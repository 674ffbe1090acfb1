// Property-based fuzzing of request bodies: no input crashes the server; every rejection is an
// OpenAI envelope with a 4xx status and a message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/build-test-app.js';
import { fakeAdapter } from '../helpers/fake-adapter.js';
import { testConfig } from '../helpers/test-config.js';

const role = fc.constantFrom(
  'system',
  'developer',
  'user',
  'assistant',
  'tool',
  'function',
  'bogus',
  '',
  7,
  null,
);
const content = fc.oneof(
  fc.string(),
  fc.constant(null),
  fc.integer(),
  fc.array(
    fc.record(
      {
        type: fc.constantFrom('text', 'image_url', 'input_audio', 'file', 'weird'),
        text: fc.oneof(fc.string(), fc.integer()),
        image_url: fc.oneof(fc.record({ url: fc.string() }), fc.string()),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  ),
);
const message = fc.record({ role, content, tool_calls: fc.anything() }, { requiredKeys: [] });
const chatBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom('model-router', 'big', 'small', 'nope', ''), fc.anything()),
    messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.anything()),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    temperature: fc.oneof(fc.double(), fc.string()),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 200_000 }), fc.string()),
    n: fc.anything(),
    tools: fc.anything(),
    tool_choice: fc.anything(),
    response_format: fc.anything(),
    stream_options: fc.anything(),
    reasoning_effort: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('request body fuzzing', () => {
  it('answers every body with 200 or an OpenAI-shaped 4xx, and keeps serving', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(chatBody, fc.anything()), async (body) => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(body) ?? 'undefined',
        });
        expect([200, 400, 404]).toContain(res.statusCode);
        if (res.statusCode !== 200) {
          const err = res.json().error;
          expect(typeof err.message).toBe('string');
          expect(err.message.length).toBeGreaterThan(0);
          expect(err).toHaveProperty('type');
          expect(err).toHaveProperty('param');
          expect(err).toHaveProperty('code');
        }
      }),
      { numRuns: 400, seed: 42 },
    );
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });

  it('rejects raw garbage, wrong media types and oversize bodies with the right status', async () => {
    const t = await buildTestApp(
      testConfig({ server: { bodyLimitBytes: 1024, logLevel: 'silent' } }),
      {},
    );
    const cases: [string, string, number][] = [
      ['{"model": "model-router", "messages": [', 'application/json', 400],
      ['', 'application/json', 400],
      ['model=x', 'application/x-www-form-urlencoded', 415],
      [
        JSON.stringify({
          model: 'model-router',
          messages: [{ role: 'user', content: 'x'.repeat(5000) }],
        }),
        'application/json',
        413,
      ],
    ];
    for (const [payload, type, status] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': type },
        payload,
      });
      expect(res.statusCode, payload.slice(0, 40)).toBe(status);
      expect(res.json().error.message.length).toBeGreaterThan(0);
    }
    const audio = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: [
          {
            role: 'user',
            content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }],
          },
        ],
      },
    });
    expect(audio.statusCode).toBe(400);
    expect(audio.json().error.param).toBe('messages[0].content[0]');
  });
});
