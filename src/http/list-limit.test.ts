// `limit` on the OpenAI- and Anthropic-shaped list endpoints is taken as the vendors take it: a
// whole number from 1 to the endpoint's maximum (100; files 10,000; Message Batches 1,000), else a
// 400 naming `limit` that says what was wrong. Until 2026-12-05 a `limit` over the maximum was
// clamped and a decimal rounded down, so a client paging with `limit=500` silently got 100. An
// `order` other than asc or desc is the same 400 on every list that takes one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { queryLimit } from '../core/errors.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';

describe('queryLimit', () => {
  it('takes a whole number within range, the default when absent', () => {
    expect(queryLimit(undefined, 100, 20)).toBe(20);
    expect(queryLimit('', 100, 20)).toBe(20);
    expect(queryLimit('1', 100, 20)).toBe(1);
    expect(queryLimit('100', 100, 20)).toBe(100);
  });

  it('refuses the rest, saying why', () => {
    const codeOf = (v: string) => {
      try {
        queryLimit(v, 100, 20);
        return 'accepted';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(['101', '0', '-3', '2.5', 'abc', '1e2', ' '].map(codeOf)).toEqual([
      'integer_above_max_value',
      'integer_below_min_value',
      'integer_below_min_value',
      'invalid_type',
      'invalid_type',
      'invalid_type',
      'invalid_type',
    ]);
  });
});

describe('list endpoints', () => {
  let runtime: Runtime;
  const ids: Record<string, string> = {};
  const get = (url: string) => runtime.app.inject({ method: 'GET', url });

  beforeAll(async () => {
    runtime = await createRuntime(parseConfig(testConfigInput(), {}).config);
    const post = async (url: string, payload: object) =>
      (await runtime.app.inject({ method: 'POST', url, payload })).json() as { id: string };
    ids.chat = (
      await post('/v1/chat/completions', {
        model: 'big',
        store: true,
        messages: [{ role: 'user', content: 'hi' }],
      })
    ).id;
    ids.response = (await post('/v1/responses', { model: 'big', input: 'hi' })).id;
    ids.conversation = (await post('/v1/conversations', {})).id;
  });
  afterAll(() => runtime.close());

  const lists = () => [
    ['/v1/chat/completions', 100],
    [`/v1/chat/completions/${ids.chat}/messages`, 100],
    [`/v1/responses/${ids.response}/input_items`, 100],
    [`/v1/conversations/${ids.conversation}/items`, 100],
    ['/v1/batches', 100],
    ['/v1/files', 10_000],
    ['/v1/messages/batches', 1_000],
  ];

  it('answer a limit within range', async () => {
    for (const [url, max] of lists()) {
      const res = await get(`${url}?limit=${max}`);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
  });

  it('400 a limit over the maximum, under 1, or not a whole number, naming limit', async () => {
    for (const [url, max] of lists())
      for (const limit of [Number(max) + 1, 0, 2.5, 'ten']) {
        const res = await get(`${url}?limit=${limit}`);
        expect(res.statusCode, `${url}?limit=${limit}: ${res.body}`).toBe(400);
        expect(res.body, url as string).toContain('limit');
      }
    const over = await get('/v1/batches?limit=500');
    expect(over.json().error).toMatchObject({
      type: 'invalid_request_error',
      param: 'limit',
      code: 'integer_above_max_value',
      message:
        "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 500 instead.",
    });
  });

  it('400 an order other than asc or desc the same way on every list that takes one', async () => {
    const ordered = lists()
      .map(([url]) => url as string)
      .filter((url) => !url.includes('batches'));
    for (const url of ordered) {
      const res = await get(`${url}?order=up`);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json().error, url).toEqual({
        type: 'invalid_request_error',
        param: 'order',
        code: 'invalid_value',
        message: 'Query parameter order must be asc or desc, got "up".',
      });
      expect((await get(`${url}?order=asc`)).statusCode, url).toBe(200);
    }
  });
});
