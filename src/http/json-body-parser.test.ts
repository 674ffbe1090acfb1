// A body that is not JSON gets one sentence saying where it breaks, in each API's error shape.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';

async function app() {
  const reply = [{ reply: 'ok' }];
  return buildTestApp(testConfig(), {
    big: fakeAdapter('big', reply),
    mid: fakeAdapter('mid', reply),
    small: fakeAdapter('small', reply),
  });
}

const post = (
  t: Awaited<ReturnType<typeof app>>,
  url: string,
  payload: string,
  type = 'application/json',
) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': type, 'anthropic-version': '2023-06-01' },
    payload,
  });

describe('a request body that is not JSON', () => {
  it('is a 400 in OpenAI’s envelope naming the line and column where it breaks', async () => {
    const t = await app();
    const cases: [string, string][] = [
      [
        '{"model": "model-router", "messages": [{"role": "user", "content": "hi"},]}',
        "The request body is not valid JSON: unexpected ']' at line 1, column 74.",
      ],
      [
        '{\n  "model": "model-router",\n  "messages": [\n    {"role": "user", "content": "hi"}\n',
        'The request body is not valid JSON: it ends at line 5, column 1, before the JSON is complete (is a closing quote, bracket or brace missing?).',
      ],
      [
        "{'model': 'model-router'}",
        `The request body is not valid JSON: unexpected "'" at line 1, column 2.`,
      ],
      [
        '{"model": "model-router", "messages": [{"role": "user", "content": "a\nb"}]}',
        'The request body is not valid JSON: unexpected control character U+000A (inside a string, write it as an escape such as \\n) at line 1, column 70.',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(t, '/v1/chat/completions', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: { message, type: 'invalid_request_error', param: null, code: 'invalid_json' },
      });
    }
    // With a charset, on another OpenAI path: the same parser.
    const embeddings = await post(
      t,
      '/v1/embeddings',
      '{"input": [1 2]}',
      'application/json; charset=utf-8',
    );
    expect(embeddings.json().error.message).toBe(
      "The request body is not valid JSON: unexpected '2' at line 1, column 14.",
    );
    await t.app.close();
  });

  it('is a 400 in Anthropic’s shape on /v1/messages', async () => {
    const t = await app();
    const res = await post(t, '/v1/messages', '{"model": "model-router", "max_tokens": 10,');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message:
          'The request body is not valid JSON: it ends at line 1, column 44, before the JSON is complete (is a closing quote, bracket or brace missing?).',
      },
    });
    await t.app.close();
  });

  it('keeps fastify’s guard against __proto__ keys, saying what to remove', async () => {
    const t = await app();
    const res = await post(
      t,
      '/v1/chat/completions',
      '{"model": "model-router", "messages": [], "__proto__": {"admin": true}}',
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'invalid_json',
      message: expect.stringContaining('"__proto__"'),
    });
    await t.app.close();
  });

  it('refuses a body nested deeper than any real request, before anything recurses into it', async () => {
    const t = await app();
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const chat = (extra: string) =>
      `{"model": "model-router", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "x-example": {"a": ${extra}}}}}]}`;
    // 100,000 levels overflowed the stack in the token estimate: a 500 and a logged stack.
    for (const [url, body] of [
      ['/v1/chat/completions', chat(deep(100_000))],
      ['/v1/messages', `{"model": "model-router", "max_tokens": 5, "metadata": ${deep(300)}}`],
    ] as const) {
      const res = await post(t, url, body);
      expect(res.statusCode).toBe(400);
      const error = res.json().error as { message: string; code?: string; type: string };
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toBe(
        'The request body nests arrays and objects more than 256 levels deep: send a flatter body.',
      );
    }
    // 256 levels (249 here under the 7 of the body around them), and brackets inside strings
    // (after escaped quotes too), are a body like any other.
    const ok = await post(
      t,
      '/v1/chat/completions',
      chat(`[${deep(248)}, ${String.raw`"\\\"[[[["`} ]`),
    );
    expect(ok.statusCode).toBe(200);
    const text = await post(
      t,
      '/v1/chat/completions',
      `{"model": "model-router", "messages": [{"role": "user", "content": "${'[{'.repeat(500)}"}]}`,
    );
    expect(text.statusCode).toBe(200);
    await t.app.close();
  });
});
