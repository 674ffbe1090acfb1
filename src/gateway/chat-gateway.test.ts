import { describe, expect, it } from 'vitest';
import { collectPromptText, estimatePromptTokens } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { ANONYMOUS, type SettleInfo } from './gateway-types.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const body = (extra: Record<string, unknown> = {}) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'Hello there' }],
  ...extra,
});

/** Data payloads of an SSE body (test-side reading only). */
function sseData(payload: string): string[] {
  return payload
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice(6));
}

describe('chat gateway through the router', () => {
  it('routes, reports the served model (never the router name) and sets routing headers', async () => {
    const small = fakeAdapter('small-2025', [{ reply: 'hi from small' }]);
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', [{ reply: 'x' }]),
      mid: fakeAdapter('mid', [{ reply: 'x' }]),
      small,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body(),
    });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(json.model).toBe('small-2025');
    expect(json.choices[0].message.content).toBe('hi from small');
    expect(json.usage.prompt_tokens_details.cached_tokens).toBe(4);
    expect(res.headers['x-router-model']).toBe('small-2025');
    expect(res.headers['x-router-deployment']).toBe('small');
    expect(res.headers['x-router-mode']).toBe('balanced');
    expect(res.headers['x-router-attempts']).toBe('1');
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    expect(small.calls[0]?.body.model).toBe('small-sim');
    const decisionId = res.headers['x-router-decision-id'] as string;
    const receipt = await t.app.inject({
      method: 'GET',
      url: `/v1/router/decisions/${decisionId}`,
    });
    expect(receipt.json().pick).toBe('small');
    expect(receipt.json().servedBy).toBe('small');
    expect(t.records[0]?.servedModel).toBe('small-2025');
    expect(t.records[0]?.costUsd).toBeCloseTo((6 * 0.1 + 4 * 0.1 + 5 * 0.4) / 1e6, 12);
    // The baseline (top deployment `big`, which does not reason) leaves out the 2 reasoning tokens.
    expect(t.records[0]?.baselineCostUsd).toBeCloseTo((6 * 10 + 4 * 10 + 3 * 30) / 1e6, 12);
  });

  it('fails over on a retryable error before the first byte, and stops at a non-retryable one', async () => {
    const small = fakeAdapter('small', [
      { error: { status: 500 } },
      { error: { status: 400, retryable: false } },
    ]);
    const mid = fakeAdapter('mid', [{ reply: 'from mid' }]);
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', [{ reply: 'x' }]),
      mid,
      small,
    });
    const ok = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: body() });
    expect(ok.json().model).toBe('mid');
    expect(ok.headers['x-router-attempts']).toBe('2');
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body(),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('upstream_400');
    expect(mid.calls).toHaveLength(1);
  });

  it('passes the last upstream 429 with retry-after when every candidate is rate limited', async () => {
    const e429 = { error: { status: 429, headers: { 'retry-after': '7' } } };
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', [e429]),
      mid: fakeAdapter('mid', [e429]),
      small: fakeAdapter('small', [e429]),
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body(),
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json().error.message).toMatch(/All 3 attempts failed/);
  });

  it('calls a concrete deployment directly, and Azure paths map the deployment from the URL', async () => {
    const big = fakeAdapter('big-2025', [{ reply: 'big answer' }]);
    const t = await buildTestApp(testConfig(), {
      big,
      mid: fakeAdapter('mid', []),
      small: fakeAdapter('small', []),
    });
    const direct = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body({ model: 'big' }),
    });
    expect(direct.json().model).toBe('big-2025');
    expect(direct.headers['x-router-decision-id']).toBeUndefined();
    const azure = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/big/chat/completions?api-version=2024-10-21',
      payload: { messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(azure.statusCode).toBe(200);
    expect(azure.json().model).toBe('big-2025');
    const noVersion = await t.app.inject({
      method: 'POST',
      url: '/openai/deployments/big/chat/completions',
      payload: { messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(noVersion.statusCode).toBe(400);
    expect(noVersion.json().error.param).toBe('api-version');
  });

  it('streams: peeks the first chunk, fails over before it, and never after it', async () => {
    const small = fakeAdapter('small', [{ error: { status: 503 } }]);
    const mid = fakeAdapter('mid', [
      { chunks: ['Hel', 'lo', '!'] },
      { chunks: ['a', 'b', 'c'], failAfter: 2 },
    ]);
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', [{ reply: 'x' }]),
      mid,
      small,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body({ stream: true }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const events = sseData(res.payload);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello!');
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    expect(chunks[0].model).toBe('mid');

    const broken = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body({ stream: true, stream_options: { include_usage: true } }),
    });
    const ev = sseData(broken.payload);
    expect(ev.includes('[DONE]')).toBe(false);
    const last = JSON.parse(ev.at(-1) as string);
    expect(last.error.code).toBe('upstream_dropped');
    const text = ev
      .slice(0, -1)
      .map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('ab');
    expect(t.records.at(-1)?.status).toBe(502);
  });

  it('rejects what nothing can serve, naming each rule that excluded each model', async () => {
    const config = testConfig();
    config.deployments.forEach((d) => (d.capabilities.vision = d.name === 'big'));
    config.deployments.forEach((d) => (d.contextWindow = d.name === 'big' ? 50 : 100_000));
    const t = await buildTestApp(config, {
      big: fakeAdapter('big', []),
      mid: fakeAdapter('mid', []),
      small: fakeAdapter('small', []),
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'word '.repeat(100) },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            ],
          },
        ],
      }),
    });
    expect(res.statusCode).toBe(400);
    const msg = res.json().error.message as string;
    expect(msg).toContain('big: context_window');
    expect(msg).toContain('mid: vision');
    expect(msg).toContain('small: vision');
  });

  it('unknown model gets a 404 naming it', async () => {
    const t = await buildTestApp(testConfig(), {});
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body({ model: 'nope' }),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: 'model_not_found',
      param: 'model',
      type: 'invalid_request_error',
    });
    expect(res.json().error.message).toContain('"nope"');
  });

  it('does not route a request whose client left before routing', async () => {
    const small = fakeAdapter('small', [{ reply: 'x' }]);
    const t = await buildTestApp(testConfig(), {
      big: fakeAdapter('big', [{ reply: 'x' }]),
      mid: fakeAdapter('mid', [{ reply: 'x' }]),
      small,
    });
    const left = t.gateway.handleChat({
      request: body() as ChatRequest,
      endpoint: 'chat',
      auth: ANONYMOUS,
      headers: {},
      signal: AbortSignal.abort(),
      requestId: 'req_left',
    });
    await expect(left).rejects.toMatchObject({ status: 499, code: 'client_closed_request' });
    expect(t.records[0]).toMatchObject({ status: 499, errorCode: 'client_closed_request' });
    // No routing decision was made (none recorded) and no upstream was called.
    expect(t.records[0]?.decisionId).toBeUndefined();
    expect(t.records[0]?.routingMode).toBeUndefined();
    expect(small.calls).toHaveLength(0);
  });
  it('records the call in flight when the client leaves, and charges its prompt there', async () => {
    const small = fakeAdapter('small', [{ hang: true }]);
    const settled: SettleInfo[] = [];
    const t = await buildTestApp(
      testConfig(),
      {
        big: fakeAdapter('big', [{ reply: 'x' }]),
        mid: fakeAdapter('mid', [{ reply: 'x' }]),
        small,
      },
      { policies: { settle: (_ctx, outcome) => void settled.push(outcome) } },
    );
    const client = new AbortController();
    const left = t.gateway.handleChat({
      request: body() as ChatRequest,
      endpoint: 'chat',
      auth: ANONYMOUS,
      headers: {},
      signal: client.signal,
      requestId: 'req_left_in_flight',
    });
    await waitFor(() => expect(small.calls).toHaveLength(1));
    client.abort();
    await expect(left).rejects.toMatchObject({ status: 499, code: 'client_closed_request' });
    const record = t.records[0]!;
    expect(record).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      deployment: 'small',
      usageEstimated: true,
    });
    expect(record.attempts).toEqual([
      expect.objectContaining({
        deployment: 'small',
        outcome: 'aborted',
        httpStatus: 499,
        errorCode: 'client_closed_request',
      }),
    ]);
    // The prompt, as counted, at small's input price: what the upstream had begun to bill.
    expect(record.promptTokens).toBeGreaterThan(0);
    expect(record.costUsd).toBeCloseTo((record.promptTokens * 0.1) / 1e6, 15);
    expect(record.baselineCostUsd).toBe(record.costUsd);
    expect(settled).toEqual([expect.objectContaining({ costUsd: record.costUsd, status: 499 })]);
    // Spent at small, whose budget counts it: the attempt says so.
    expect(settled[0]?.attempts).toEqual([
      expect.objectContaining({ deployment: 'small', costUsd: record.costUsd }),
    ]);
  });

  it('charges an attempt the router stopped waiting for (its deadline) its prompt, at that deployment, and fails over', async () => {
    const small = fakeAdapter('small', [{ hang: true }]);
    const settled: SettleInfo[] = [];
    const config = testConfig();
    const smallConfig = config.deployments.find((d) => d.name === 'small')!;
    smallConfig.timeoutMs = 20;
    const t = await buildTestApp(
      config,
      {
        big: fakeAdapter('big', [{ reply: 'x' }]),
        mid: fakeAdapter('mid', [{ reply: 'from mid' }]),
        small,
      },
      { policies: { settle: (_ctx, outcome) => void settled.push(outcome) } },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: body(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().model).toBe('mid');
    const record = t.records[0]!;
    expect(record.attempts.map((a) => [a.deployment, a.outcome, a.errorCode])).toEqual([
      ['small', 'error', 'upstream_timeout'],
      ['mid', 'ok', undefined],
    ]);
    // The prompt as the router counted it, at small's input price, and mid's answer as it
    // reported it (10 in, 5 out at $1 / $4 per 1M).
    const request = body() as ChatRequest;
    const counted = estimatePromptTokens(request, collectPromptText(request));
    expect(counted).toBeGreaterThan(0);
    const atSmall = (counted * 0.1) / 1e6;
    expect(record.attempts[0]!.costUsd).toBeCloseTo(atSmall, 15);
    expect(record.costUsd).toBeCloseTo(atSmall + (10 * 1 + 5 * 4) / 1e6, 15);
    expect(record.usageEstimated).toBe(true);
    expect(settled).toEqual([expect.objectContaining({ costUsd: record.costUsd, status: 200 })]);
    expect(settled[0]?.deployment?.name).toBe('mid');
    expect(settled[0]?.attempts?.[0]).toMatchObject({ deployment: 'small', costUsd: atSmall });
  });
});
