import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import {
  simDeployment,
  simModerationDeployment,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import type { RequestRecord } from '../store/request-record.js';
import { createTraceRecorder } from './tracing.js';
import { registry } from './metrics.js';

describe('tracing', () => {
  it('builds request → policy → route → attempt spans with the served model as gen_ai.response.model', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createTraceRecorder({ exporter, processor: new SimpleSpanProcessor(exporter) });
    const record: RequestRecord = {
      time: 1_700_000_000_000,
      requestId: 'req_1',
      endpoint: 'chat',
      router: 'model-router',
      routingMode: 'balanced',
      deployment: 'mid',
      servedModel: 'mid-2025',
      attempts: [
        {
          deployment: 'small',
          model: 'small-sim',
          outcome: 'error',
          httpStatus: 500,
          errorCode: 'server_error',
          latencyMs: 5,
        },
        { deployment: 'mid', model: 'mid-2025', outcome: 'ok', latencyMs: 20 },
      ],
      stream: false,
      promptTokens: 12,
      cachedTokens: 0,
      completionTokens: 7,
      reasoningTokens: 0,
      costUsd: 0.001,
      baselineCostUsd: 0.01,
      latencyMs: 30,
      routingMicros: 40,
      overheadMicros: 1250,
      status: 200,
      tenant: 'team-a',
      keyId: 'k1',
      endUser: 'alice',
      tags: ['search', 'team=a'],
    };
    tracer.record(record);
    const spans = [...exporter.getFinishedSpans()];
    await tracer.shutdown();
    const root = spans.find((s) => s.name === 'chat model-router')!;
    expect(root.attributes['gen_ai.response.model']).toBe('mid-2025');
    expect(root.attributes['gen_ai.request.model']).toBe('model-router');
    expect(root.attributes['gen_ai.usage.output_tokens']).toBe(7);
    expect(root.attributes).toMatchObject({
      'model_router.tenant': 'team-a',
      'model_router.key_id': 'k1',
      'model_router.end_user': 'alice',
      'model_router.tags': ['search', 'team=a'],
      // The router's own time in the request, apart from its upstream.
      'model_router.overhead_ms': 1.25,
    });
    const children = spans
      .filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
      .map((s) => s.name);
    expect(children).toEqual(
      expect.arrayContaining(['policy', 'route', 'attempt small', 'attempt mid']),
    );
  });

  it('puts the wait for headroom between the rounds of attempts', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = createTraceRecorder({ exporter, processor: new SimpleSpanProcessor(exporter) });
    tracer.record({
      time: 1_700_000_000_000,
      requestId: 'req_2',
      endpoint: 'chat',
      deployment: 'mid',
      attempts: [
        {
          deployment: 'mid',
          model: 'mid-sim',
          outcome: 'error',
          httpStatus: 429,
          latencyMs: 5,
          round: 1,
        },
        {
          deployment: 'mid',
          model: 'mid-sim',
          outcome: 'ok',
          latencyMs: 20,
          round: 2,
          waitedMs: 1000,
        },
      ],
      stream: false,
      promptTokens: 12,
      cachedTokens: 0,
      completionTokens: 7,
      reasoningTokens: 0,
      costUsd: 0,
      baselineCostUsd: 0,
      latencyMs: 1030,
      queuedMs: 1000,
      status: 200,
    });
    const spans = [...exporter.getFinishedSpans()];
    await tracer.shutdown();
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    const [first, second] = spans.filter((s) => s.name === 'attempt mid');
    expect(first!.attributes['model_router.round']).toBe(1);
    expect(second!.attributes['model_router.round']).toBe(2);
    // Round 2 starts 1 s after round 1's attempt ended (5 ms after it began).
    expect(ms(second!.startTime) - ms(first!.startTime)).toBeCloseTo(1005, 1);
  });
});

describe('metrics', () => {
  it('counts the web searches answers ran, by served model', async () => {
    const input = testConfigInput();
    input.deployments.push(
      simDeployment('searcher', {
        prices: { inputPer1M: 3, outputPer1M: 15, perWebSearch: 0.01 },
        capabilities: { webSearch: true },
      }),
    );
    input.routers = [{ name: 'model-router', modelSubset: ['big', 'mid', 'small', 'searcher'] }];
    const runtime = await createRuntime(parseConfig(input, {}).config);
    registry.resetMetrics();
    for (const stream of [false, true])
      await runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'model-router',
          stream,
          web_search_options: {},
          messages: [{ role: 'user', content: `news ${stream}` }],
        },
      });
    await runtime.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'no search' }] },
    });
    const text = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).payload;
    await runtime.close();
    expect(text).toMatch(
      /\nmodel_router_web_searches_total\{router="model-router",model="searcher-sim",deployment="searcher"\} 2\n/,
    );
    expect(text).not.toMatch(/model_router_web_searches_total\{[^}]*deployment="(big|mid|small)"/);
  });

  it('GET /metrics splits requests, tokens and cost by underlying model', async () => {
    const config = parseConfig(testConfigInput(), {}).config;
    const runtime = await createRuntime(config);
    // The registry is per process and test files share a worker (vitest.config.ts, isolate
    // false): count from zero here.
    registry.resetMetrics();
    for (let i = 0; i < 3; i++)
      await runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: `hi ${i}` }] },
      });
    await runtime.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'big', messages: [{ role: 'user', content: 'hi' }] },
    });
    const text = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).payload;
    const ready = (await runtime.app.inject({ method: 'GET', url: '/readyz' })).json();
    await runtime.close();
    expect(text).toMatch(
      /model_router_requests_total\{router="model-router",model="small-sim",deployment="small",status="200"\} [3-9]/,
    );
    // Each deployment's load as pools see it: nothing in flight now, a recent answer time.
    expect(text).toContain('model_router_deployment_in_flight{deployment="big"} 0');
    expect(text).toMatch(
      /model_router_deployment_latency_seconds\{deployment="big",kind="answer"\} [0-9.e-]+/,
    );
    expect(ready.deployment_load.big).toMatchObject({ inFlight: 0, answerMs: expect.any(Number) });
    expect(text).toMatch(
      /model_router_requests_total\{router="",model="big-sim",deployment="big",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /model_router_tokens_total\{router="model-router",model="small-sim",deployment="small",kind="completion"\} \d+/,
    );
    expect(text).toMatch(
      /model_router_savings_usd_total\{router="model-router",model="small-sim",deployment="small"\} [0-9.e-]+/,
    );
    expect(text).toContain('model_router_routing_decision_seconds_bucket');
  });

  it('counts the requests, tokens and cost whose usage the router estimated, by underlying model', async () => {
    const input = testConfigInput();
    // Moderation replies carry no usage: their tokens are always the router's estimate. Priced
    // here, so their cost is an estimate too.
    input.deployments.push(
      simModerationDeployment('mod', { prices: { inputPer1M: 1, outputPer1M: 0 } }),
    );
    const runtime = await createRuntime(parseConfig(input, {}).config);
    registry.resetMetrics();
    const post = (url: string, payload: object) =>
      runtime.app.inject({ method: 'POST', url, payload });
    // The simulated chat model reports its usage: nothing estimated.
    expect(
      (
        await post('/v1/chat/completions', {
          model: 'big',
          messages: [{ role: 'user', content: 'hi' }],
        })
      ).statusCode,
    ).toBe(200);
    for (const input of ['a first text to classify', 'and a second one'])
      expect((await post('/v1/moderations', { model: 'mod', input })).statusCode).toBe(200);
    const text = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).payload;
    await runtime.close();
    const value = (metric: string, labels: string) =>
      new RegExp(`^${metric}\\{${labels}\\} (\\S+)$`, 'm').exec(text)?.[1];
    const mod = 'router="",model="omni-moderation-latest",deployment="mod"';
    expect(value('model_router_usage_estimated_requests_total', mod)).toBe('2');
    // Every moderation token is estimated: the counter equals what tokens_total counted for it.
    const prompt = value('model_router_tokens_total', `${mod},kind="prompt"`);
    expect(Number(prompt)).toBeGreaterThan(0);
    expect(value('model_router_usage_estimated_tokens_total', `${mod},kind="prompt"`)).toBe(prompt);
    expect(text).not.toMatch(
      /^model_router_usage_estimated_requests_total\{[^}]*deployment="big"/m,
    );
    expect(text).not.toMatch(/^model_router_usage_estimated_tokens_total\{[^}]*deployment="big"/m);
    // The estimated cost is the whole of the moderation's spend, and none of the chat's.
    const modCost = value('model_router_cost_usd_total', mod);
    expect(Number(modCost)).toBeGreaterThan(0);
    expect(value('model_router_usage_estimated_cost_usd_total', mod)).toBe(modCost);
    expect(
      Number(value('model_router_cost_usd_total', 'router="",model="big-sim",deployment="big"')),
    ).toBeGreaterThan(0);
    expect(text).not.toMatch(
      /^model_router_usage_estimated_cost_usd_total\{[^}]*deployment="big"/m,
    );
  });

  it('counts requests refused before routing in requests_total, each once', async () => {
    const runtime = await createRuntime(parseConfig(testConfigInput(), {}).config);
    registry.resetMetrics();
    const post = (payload: string) =>
      runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        payload,
      });
    const statuses = [
      (await post('{"model": "model-router", "messages": [')).statusCode, // invalid JSON
      (await post('{"model": "model-router"}')).statusCode, // no messages
      (await post(JSON.stringify({ model: 'model-router', n: 0, messages: [] }))).statusCode,
      // Refused by the gateway, whose record counts it: not counted again.
      (await post(JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] })))
        .statusCode,
      (await runtime.app.inject({ method: 'GET', url: '/v1/nowhere' })).statusCode,
      (
        await runtime.app.inject({
          method: 'POST',
          url: '/v1/messages',
          payload: { model: 'model-router', max_tokens: 10 },
        })
      ).statusCode,
    ];
    expect(statuses).toEqual([400, 400, 400, 404, 404, 400]);
    const ok = await post(
      JSON.stringify({ model: 'model-router', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(ok.statusCode).toBe(200);
    const text = (await runtime.app.inject({ method: 'GET', url: '/metrics' })).payload;
    await runtime.close();
    const count = (status: number) =>
      Number(
        new RegExp(
          `model_router_requests_total\\{router="",model="",deployment="",status="${status}"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    expect(count(400)).toBe(4);
    expect(count(404)).toBe(2);
    expect(text).toMatch(
      /model_router_requests_total\{router="model-router",[^}]*status="200"\} 1\n/,
    );
  });
});
