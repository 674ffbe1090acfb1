import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../auth/api-key.js';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import type { ConfigInput } from '../config/schema.js';
import { unauthorized } from '../core/errors.js';
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';
import type { Authenticator } from '../http/auth-hook.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { chunk } from '../../test/helpers/content-filter-fixtures.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { cacheControls } from './cache-controls.js';
import { ChunkCollector, replayChunks } from './answer-chunks.js';

// Each caller is named by its bearer token: `Bearer <tenant>` or `Bearer <tenant>:<subset,…>`.
const tenantAuth: Authenticator = {
  authenticate(headers) {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!token) throw unauthorized('Incorrect API key provided.');
    const [tenant = '', subset] = token.split(':');
    return {
      keyId: token,
      tenant,
      admin: tenant === 'admin',
      scopes: ['*'],
      ...(subset ? { modelSubset: subset.split(',') } : {}),
    };
  },
};

const CACHE = { enabled: true, ttlSeconds: 60 };

async function setup(
  script: Step[] = [{ reply: 'first' }, { reply: 'second' }, { reply: 'third' }],
  overrides: Partial<ConfigInput> = {},
) {
  const adapters = {
    big: fakeAdapter('big-sim', script),
    mid: fakeAdapter('mid-sim', script),
    small: fakeAdapter('small-sim', script),
  };
  const input = testConfigInput({ cache: CACHE, ...overrides });
  const t = await buildTestApp(parseConfig(input, {}).config, adapters, {
    authenticator: tenantAuth,
  });
  const calls = () =>
    adapters.big.calls.length + adapters.mid.calls.length + adapters.small.calls.length;
  return { ...t, adapters, calls, input };
}

const body = (extra: Record<string, unknown> = {}) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
  ...extra,
});

const post = (
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
  url = '/v1/chat/completions',
) => ({
  method: 'POST' as const,
  url,
  headers: { authorization: 'Bearer team-a', 'content-type': 'application/json', ...headers },
  payload,
});

/** The content of an SSE chat stream, and its chunks. */
function sse(text: string): { content: string; chunks: ChatChunk[] } {
  const chunks = text
    .split('\n\n')
    .map((e) => e.replace(/^data: /, '').trim())
    .filter((d) => d && d !== '[DONE]')
    .map((d) => JSON.parse(d) as ChatChunk);
  return { content: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), chunks };
}

describe('answer cache (cache.enabled)', () => {
  it('answers the same request again from the cache: no upstream call, no cost, the savings of the whole answer', async () => {
    const t = await setup();
    const a = await t.app.inject(post(body()));
    expect(a.statusCode).toBe(200);
    expect(a.headers['x-router-cache']).toBe('miss');
    const b = await t.app.inject(post(body()));
    expect(b.statusCode).toBe(200);
    expect(b.headers['x-router-cache']).toBe('hit');
    expect(b.headers.age).toBe('0');
    expect(b.headers['x-router-attempts']).toBe('0');
    expect(b.headers['x-router-deployment']).toBe(a.headers['x-router-deployment']);
    expect(b.json().model).toBe(a.json().model);
    expect(b.json().choices[0].message.content).toBe('first');
    expect(t.calls()).toBe(1);
    const [miss, hit] = t.records;
    expect(miss?.cache).toBe('miss');
    expect(miss?.costUsd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cache: 'hit', costUsd: 0, attempts: [], status: 200 });
    expect(hit?.baselineCostUsd).toBe(miss?.baselineCostUsd);
    expect(hit?.baselineCostUsd).toBeGreaterThan(0);
    expect(hit?.completionTokens).toBe(5);
  });

  it('serves a stream from a JSON answer and JSON from a streamed one', async () => {
    const t = await setup([{ chunks: ['Par', 'is'] }, { reply: 'other' }]);
    const streamed = await t.app.inject(post(body({ stream: true })));
    expect(streamed.headers['x-router-cache']).toBe('miss');
    expect(sse(streamed.body).content).toBe('Paris');
    const json = await t.app.inject(post(body()));
    expect(json.headers['x-router-cache']).toBe('hit');
    expect(json.json().choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Paris' },
    });
    expect(json.json().usage.completion_tokens).toBe(5);
    const again = await t.app.inject(
      post(body({ stream: true, stream_options: { include_usage: true } })),
    );
    expect(again.headers['x-router-cache']).toBe('hit');
    const replayed = sse(again.body);
    expect(replayed.content).toBe('Paris');
    expect(replayed.chunks.at(-1)?.usage?.total_tokens).toBe(15);
    expect(replayed.chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
    expect(t.calls()).toBe(1);
    expect(t.records.map((r) => r.cache)).toEqual(['miss', 'hit', 'hit']);
  });

  it('keeps callers apart: tenant, key subset, routing mode and any body field make another entry', async () => {
    const t = await setup([{ reply: 'x' }]);
    await t.app.inject(post(body()));
    const other = [
      post(body(), { authorization: 'Bearer team-b' }),
      post(body(), { authorization: 'Bearer team-a:mid,small' }),
      post(body(), { 'x-router-mode': 'quality' }),
      post(body({ temperature: 0.2 })),
      post(body({ model: 'mid' })),
      post(body({ messages: [{ role: 'user', content: 'What is the capital of Italy?' }] })),
    ];
    for (const req of other) {
      const r = await t.app.inject(req);
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-router-cache']).toBe('miss');
    }
    expect(t.calls()).toBe(1 + other.length);
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('hit');
  });

  it('keys on the body as JSON with its object keys sorted: reordered keys share an entry, a reordered array does not', async () => {
    const t = await setup([{ reply: 'x' }]);
    const raw = (json: string) => ({
      method: 'POST' as const,
      url: '/v1/chat/completions',
      headers: { authorization: 'Bearer team-a', 'content-type': 'application/json' },
      payload: json,
    });
    const first = await t.app.inject(
      raw(
        '{"model":"model-router","messages":[{"role":"user","content":"Hi"}],"stop":["a","b"],"metadata":{"a":"1","b":"2"}}',
      ),
    );
    expect(first.headers['x-router-cache']).toBe('miss');
    const reordered = await t.app.inject(
      raw(
        '{"metadata":{"b":"2","a":"1"},"stop":["a","b"],"messages":[{"content":"Hi","role":"user"}],"model":"model-router"}',
      ),
    );
    expect(reordered.headers['x-router-cache']).toBe('hit');
    const otherArray = await t.app.inject(
      raw(
        '{"model":"model-router","messages":[{"role":"user","content":"Hi"}],"stop":["b","a"],"metadata":{"a":"1","b":"2"}}',
      ),
    );
    expect(otherArray.headers['x-router-cache']).toBe('miss');
    expect(t.calls()).toBe(2);
  });

  it('honours Cache-Control: no-store neither reads nor keeps, no-cache refreshes, max-age bounds the age', async () => {
    const t = await setup();
    const bypass = await t.app.inject(post(body(), { 'cache-control': 'no-store' }));
    expect(bypass.headers['x-router-cache']).toBe('bypass');
    expect(t.records[0]?.cache).toBe('bypass');
    const first = await t.app.inject(post(body()));
    expect(first.headers['x-router-cache']).toBe('miss'); // nothing was kept by no-store
    expect(first.json().choices[0].message.content).toBe('second');
    const refreshed = await t.app.inject(post(body(), { 'cache-control': 'no-cache' }));
    expect(refreshed.headers['x-router-cache']).toBe('miss');
    expect(refreshed.json().choices[0].message.content).toBe('third');
    const hit = await t.app.inject(post(body()));
    expect(hit.json().choices[0].message.content).toBe('third');
    t.clock.advance(30_000);
    const old = await t.app.inject(post(body()));
    expect(old.headers.age).toBe('30');
    const tooOld = await t.app.inject(post(body(), { 'cache-control': 'max-age=10' }));
    expect(tooOld.headers['x-router-cache']).toBe('miss');
    expect(t.calls()).toBe(4);
  });

  it('forgets answers past the TTL', async () => {
    const t = await setup();
    await t.app.inject(post(body()));
    t.clock.advance(59_000);
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('hit');
    t.clock.advance(1_000);
    const late = await t.app.inject(post(body()));
    expect(late.headers['x-router-cache']).toBe('miss');
    expect(late.json().choices[0].message.content).toBe('second');
  });

  it('serves a kept answer only while its deployment is still in the subset and eligible', async () => {
    const t = await setup();
    const first = await t.app.inject(post(body()));
    const served = String(first.headers['x-router-deployment']);
    const subset = ['big', 'mid', 'small'].filter((n) => n !== served);
    t.config.apply(
      parseConfig({ ...t.input, routers: [{ name: 'model-router', modelSubset: subset }] }, {})
        .config,
    );
    const after = await t.app.inject(post(body()));
    expect(after.headers['x-router-cache']).toBe('miss');
    expect(after.headers['x-router-deployment']).not.toBe(served);
    // A request that needs tools does not get the answer of a deployment that no longer has them.
    const tools = body({
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    const kept = await t.app.inject(post(tools));
    const keptBy = String(kept.headers['x-router-deployment']);
    t.config.apply(
      parseConfig(
        {
          ...t.input,
          routers: [{ name: 'model-router', modelSubset: subset }],
          deployments: (t.input.deployments ?? []).map((d) =>
            d.name === keptBy ? { ...d, capabilities: { ...d.capabilities!, tools: false } } : d,
          ),
        },
        {},
      ).config,
    );
    const again = await t.app.inject(post(tools));
    expect(again.headers['x-router-cache']).toBe('miss');
  });

  it('keeps no failed answer, and nothing at all while the cache is off', async () => {
    const t = await setup([{ error: { status: 500 } }, { reply: 'ok' }], {
      routers: [{ name: 'model-router', modelSubset: ['small'] }],
    });
    expect((await t.app.inject(post(body()))).statusCode).toBe(500);
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('miss');
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('hit');

    const off = await setup(undefined, { cache: { enabled: false } });
    const a = await off.app.inject(post(body()));
    const b = await off.app.inject(post(body()));
    expect(a.headers['x-router-cache']).toBeUndefined();
    expect(b.json().choices[0].message.content).toBe('second');
    expect(off.records.map((r) => r.cache)).toEqual([undefined, undefined]);
  });

  it('leaves out a router with cache: false, and DELETE /admin/v1/cache drops every kept answer', async () => {
    const t = await setup(undefined, {
      routers: [
        { name: 'model-router', modelSubset: ['big', 'mid', 'small'] },
        { name: 'fresh', modelSubset: ['big', 'mid', 'small'], cache: false },
      ],
    });
    const fresh = [0, 1].map(() => t.app.inject(post(body({ model: 'fresh' }))));
    for (const r of await Promise.all(fresh)) {
      expect(r.statusCode).toBe(200);
      expect(r.headers['x-router-cache']).toBeUndefined();
    }
    expect(t.records.map((r) => r.cache)).toEqual([undefined, undefined]);
    await t.app.inject(post(body()));
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('hit');
    const purge = (who: string) =>
      t.app.inject({
        method: 'DELETE',
        url: '/admin/v1/cache',
        headers: { authorization: `Bearer ${who}` },
      });
    expect((await purge('team-a')).statusCode).toBe(403);
    const cleared = await purge('admin');
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 1 });
    expect((await t.app.inject(post(body()))).headers['x-router-cache']).toBe('miss');
    expect(t.calls()).toBe(4);
  });

  it('answers Anthropic clients from the cache in Anthropic’s shape', async () => {
    const t = await setup();
    const msg = {
      model: 'model-router',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    };
    const headers = { 'anthropic-version': '2023-06-01' };
    const a = await t.app.inject(post(msg, headers, '/v1/messages'));
    const b = await t.app.inject(post(msg, headers, '/v1/messages'));
    expect(b.headers['x-router-cache']).toBe('hit');
    expect(b.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'first' }] });
    expect(b.json().content).toEqual(a.json().content);
    expect(t.calls()).toBe(1);
  });

  it("a streamed answer with Claude's thinking is kept with it: JSON and streamed hits give the same signed blocks", async () => {
    const think = { thinking: 'Paris is the capital.', signature: 'EqQBCkYIARgCKkD/sig==' };
    const t = await setup([{ reply: 'Paris.', think }]);
    const msg = {
      model: 'model-router',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    };
    const headers = { 'anthropic-version': '2023-06-01' };
    const miss = await t.app.inject(post({ ...msg, stream: true }, headers, '/v1/messages'));
    expect(miss.headers['x-router-cache']).toBe('miss');
    const json = await t.app.inject(post(msg, headers, '/v1/messages'));
    expect(json.headers['x-router-cache']).toBe('hit');
    expect(json.json().content).toEqual([
      { type: 'thinking', ...think },
      { type: 'text', text: 'Paris.', citations: null },
    ]);
    // A streamed hit: the same block's text and signature, as Anthropic streams them.
    const streamed = await t.app.inject(post({ ...msg, stream: true }, headers, '/v1/messages'));
    expect(streamed.headers['x-router-cache']).toBe('hit');
    const deltas = streamed.body
      .split('\n\n')
      .filter((e) => e.startsWith('event: content_block_delta'))
      .map((e) => (JSON.parse(e.split('data: ')[1]!) as { delta: Record<string, string> }).delta);
    expect(deltas).toEqual([
      { type: 'thinking_delta', thinking: think.thinking },
      { type: 'signature_delta', signature: think.signature },
      { type: 'text_delta', text: 'Paris.' },
    ]);
    // An OpenAI-format client's streamed hit: reasoning_details pieces with the block's index.
    await t.app.inject(post(body({ stream: true })));
    const chat = await t.app.inject(post(body({ stream: true })));
    expect(chat.headers['x-router-cache']).toBe('hit');
    const pieces = sse(chat.body).chunks.flatMap(
      (c) => (c.choices[0]?.delta as { reasoning_details?: unknown[] })?.reasoning_details ?? [],
    );
    expect(pieces).toEqual([{ provider: 'anthropic', type: 'thinking', index: 0, ...think }]);
    expect(t.calls()).toBe(2);
  });
});

describe('answer chunks', () => {
  const answer: ChatResponse = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 7,
    model: 'm',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        logprobs: null,
        message: {
          role: 'assistant',
          content: 'Looking it up.',
          refusal: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'search', arguments: '{"q":"a"}' },
            },
            { id: 'call_2', type: 'function', function: { name: 'fetch', arguments: '{}' } },
          ],
        },
      },
      {
        index: 1,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content: 'Other.', refusal: null },
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  };

  it('collects the replay of an answer back into the same answer', () => {
    const collector = new ChunkCollector();
    for (const c of replayChunks(answer, true)) collector.add(c);
    expect(collector.response()).toEqual(answer);
  });

  it('merges tool-call pieces by index and string deltas by field, as upstreams stream them', () => {
    const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
    const piece = (delta: Record<string, unknown>, finish: string | null = null) =>
      ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] }) as ChatChunk;
    const collector = new ChunkCollector();
    collector.add(piece({ role: 'assistant', reasoning_content: 'think ' }));
    collector.add(piece({ reasoning_content: 'more' }));
    collector.add(
      piece({ tool_calls: [{ index: 0, id: 'call_9', function: { name: 'sea', arguments: '' } }] }),
    );
    collector.add(
      piece({ tool_calls: [{ index: 0, function: { name: 'rch', arguments: '{"q"' } }] }),
    );
    collector.add(piece({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }));
    expect(collector.response()).toBeUndefined(); // not finished yet
    collector.add(piece({}, 'tool_calls'));
    const message = collector.response()?.choices[0]?.message as unknown as Record<string, unknown>;
    expect(message.reasoning_content).toBe('think more');
    expect(message.tool_calls).toEqual([
      { id: 'call_9', type: 'function', function: { name: 'search', arguments: '{"q":1}' } },
    ]);
  });

  it("keeps Claude's thinking (reasoning_details pieces) merged by index, signatures intact, and replays it", () => {
    const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
    const piece = (delta: Record<string, unknown>, finish: string | null = null) =>
      ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] }) as ChatChunk;
    const detail = (d: Record<string, unknown>) => ({
      reasoning_details: [{ provider: 'anthropic', ...d }],
    });
    // As the Anthropic adapter streams them (anthropic-stream.ts): text pieces, then the signature.
    const collector = new ChunkCollector();
    collector.add(piece({ role: 'assistant', content: '' }));
    collector.add(piece(detail({ type: 'thinking', index: 0, thinking: 'Pl' })));
    collector.add(piece(detail({ type: 'thinking', index: 0, thinking: 'an.' })));
    collector.add(piece(detail({ type: 'thinking', index: 0, signature: 'EqQBCkYIAR==' })));
    collector.add(piece(detail({ type: 'redacted_thinking', index: 1, data: 'opaque' })));
    collector.add(piece(detail({ type: 'thinking', index: 2, thinking: 'Then read.' })));
    collector.add(piece(detail({ type: 'thinking', index: 2, signature: 's2' })));
    collector.add(piece({ content: 'Reading.' }));
    collector.add(piece({}, 'stop'));
    const whole = collector.response()!;
    const thinking = [
      { provider: 'anthropic', type: 'thinking', thinking: 'Plan.', signature: 'EqQBCkYIAR==' },
      { provider: 'anthropic', type: 'redacted_thinking', data: 'opaque' },
      { provider: 'anthropic', type: 'thinking', thinking: 'Then read.', signature: 's2' },
    ];
    // As a JSON answer carries it (anthropicToChatResponse): whole blocks, in order.
    expect(
      (whole.choices[0]!.message as unknown as Record<string, unknown>).reasoning_details,
    ).toEqual(thinking);
    expect(whole.choices[0]!.message.content).toBe('Reading.');
    // Replayed: each block one piece with its index, and collected back the same.
    const replayed = replayChunks(whole, false);
    expect((replayed[0]!.choices[0]!.delta as Record<string, unknown>).reasoning_details).toEqual(
      thinking.map((d, index) => ({ ...d, index })),
    );
    const again = new ChunkCollector();
    for (const c of replayed) again.add(c);
    expect(again.response()).toEqual(whole);
  });

  it('does not collect answers with log probabilities', () => {
    const collector = new ChunkCollector();
    const c = chunk('a', 'stop');
    c.choices[0]!.logprobs = { content: [], refusal: null };
    collector.add(c);
    expect(collector.response()).toBeUndefined();
  });
});

describe('Cache-Control', () => {
  it('reads no-store, no-cache and max-age, in any case and order', () => {
    expect(cacheControls(undefined)).toEqual({ read: true, write: true });
    expect(cacheControls('No-Store')).toEqual({ read: false, write: false });
    expect(cacheControls('no-cache')).toEqual({ read: false, write: true });
    expect(cacheControls('max-age=30, foo')).toEqual({
      read: true,
      write: true,
      maxAgeSeconds: 30,
    });
    expect(cacheControls('max-age=abc')).toEqual({ read: true, write: true });
  });
});

describe('answer cache and API keys', () => {
  it('a key with cache: false is never served from the cache and leaves nothing in it', async () => {
    const fresh = 'mr-fresh-samples-key-0123456789';
    const normal = 'mr-normal-key-0123456789abcdef';
    const rt = await createRuntime(
      parseConfig(
        testConfigInput({
          cache: CACHE,
          auth: {
            mode: 'keys',
            keys: [
              { id: 'fresh', hash: hashApiKey(fresh), tenant: 'team-a', cache: false },
              { id: 'normal', hash: hashApiKey(normal), tenant: 'team-a' },
            ],
          },
        }),
        {},
      ).config,
    );
    try {
      const as = async (key: string) =>
        (
          await rt.app.inject({
            method: 'POST',
            url: '/v1/chat/completions',
            headers: { authorization: `Bearer ${key}` },
            payload: body(),
          })
        ).headers['x-router-cache'];
      expect(await as(fresh)).toBe('bypass');
      expect(await as(normal)).toBe('miss'); // the fresh key's answer was not kept
      expect(await as(normal)).toBe('hit');
      expect(await as(fresh)).toBe('bypass'); // nor is it served the normal key's
    } finally {
      await rt.close();
    }
  });
});
