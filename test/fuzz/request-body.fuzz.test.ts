// Property-based fuzzing of request bodies: no input crashes the server; every rejection is an
// OpenAI (or, on /v1/messages, Anthropic) envelope with a 4xx status and a message; and what the
// Responses and Messages front doors accept becomes a chat request the chat endpoint would accept.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseChatRequest } from '../../src/http/parse-chat-request.js';
import { createResponseStore } from '../../src/store/response-store.js';
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

  it('turns every accepted Responses or Messages body into a valid chat request, and rejects the rest in its own shape', async () => {
    const reply = [{ reply: 'ok' }];
    const adapters = {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    };
    const t = await buildTestApp(testConfig(), adapters, { responses: createResponseStore(100) });
    // Numbers as clients get them wrong: fractions, negatives, strings, huge values.
    const number = fc.oneof(
      fc.integer({ min: -5, max: 70_000 }),
      fc.double({ min: -10, max: 5000, noNaN: true }),
      fc.constantFrom('16', null, true, 1e308),
    );
    const text = fc.constantFrom('hi', 'What is 2+2?');
    const messagesBody = fc.record(
      {
        model: fc.constantFrom('model-router', 'big'),
        max_tokens: number,
        messages: fc.constant([{ role: 'user', content: 'hi' }]),
        temperature: number,
        top_p: number,
        top_k: number,
        thinking: fc.record({ type: fc.constant('enabled'), budget_tokens: number }),
        system: text,
      },
      { requiredKeys: ['model', 'messages'] },
    );
    const responsesBody = fc.record(
      {
        model: fc.constantFrom('model-router', 'big'),
        input: text,
        max_output_tokens: number,
        temperature: number,
        top_p: number,
        instructions: text,
      },
      { requiredKeys: ['model', 'input'] },
    );
    const all = () => Object.values(adapters).flatMap((a) => a.calls);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          messagesBody.map((b) => ['/v1/messages', b] as const),
          responsesBody.map((b) => ['/v1/responses', b] as const),
        ),
        async ([url, body]) => {
          const before = all().length;
          const res = await t.app.inject({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
            payload: JSON.stringify(body),
          });
          expect([200, 400], res.body).toContain(res.statusCode);
          if (res.statusCode === 200) {
            const sent = all().slice(before);
            expect(sent.length).toBeGreaterThan(0);
            for (const call of sent) expect(() => parseChatRequest({ ...call.body })).not.toThrow();
          } else {
            const err = res.json().error;
            expect(err.message.length).toBeGreaterThan(0);
            if (url === '/v1/messages') expect(res.json().type).toBe('error');
            else expect(err).toHaveProperty('param');
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
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
    // A compressed body is refused with what to do, not read as broken JSON.
    const gzipped = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
    });
    expect(gzipped.statusCode).toBe(415);
    expect(gzipped.json().error).toMatchObject({
      code: 'unsupported_content_encoding',
      param: 'content-encoding',
    });
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
    for (const [field, value] of [
      ['logprobs', 'yes'],
      ['top_logprobs', 1.5],
      ['top_logprobs', 21],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'model-router',
          [field]: value,
          messages: [{ role: 'user', content: 'hi' }],
        },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe(field);
    }
    // n past OpenAI's 128 (1e308 is an integer too): refused, not tried on every deployment.
    for (const n of [129, 1e308]) {
      const many = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', n, messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(many.statusCode).toBe(400);
      expect(many.json().error).toMatchObject({ param: 'n', message: "'n' must be at most 128." });
    }
  });
});
