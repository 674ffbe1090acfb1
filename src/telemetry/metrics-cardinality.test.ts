// Cardinality of /metrics (metrics audit, 2026-12-07): no value a client sends, or an upstream
// reports per request, may become a new series each time. Before it, the served model was a
// label as the upstream reported it: an upstream that names its model after something in the
// request (a gateway in front of many models, one that echoes a field) made a series per request.
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createHttpClient } from '../providers/http-client.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createRuntime } from '../runtime.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import {
  simEmbeddingDeployment,
  testConfig,
  testConfigInput,
} from '../../test/helpers/test-config.js';
import { metricsText, recordFeedbackMetrics, recordRequestMetrics, registry } from './metrics.js';

/** Every series of the exposition (name and labels), the process metrics aside. */
const seriesOf = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith('model_router_') && !l.startsWith('model_router_process_'))
      .map((l) => l.slice(0, l.lastIndexOf(' '))),
  );

/** The values label `label` takes on `metric`'s series that match `where`. */
const labelValues = (text: string, metric: string, label: string, where: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`) && l.includes(where))
      .map((l) => new RegExp(`[{,]${label}="([^"]*)"`).exec(l)?.[1]),
  );

let agent: MockAgent | undefined;
afterEach(async () => {
  await agent?.close();
  agent = undefined;
});

describe('metrics cardinality', () => {
  it('an upstream naming a new model on every request adds at most a few series', async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    // An upstream that reports as its model a field of the request it was sent (`user`).
    agent
      .get('https://echo.example')
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply((req) => {
        const sent = JSON.parse(String(req.body)) as { user?: string };
        return {
          statusCode: 200,
          data: JSON.stringify({
            id: 'chatcmpl-echo',
            object: 'chat.completion',
            created: 1,
            model: `echo-${sent.user ?? 'nobody'}`,
            choices: [
              { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } },
            ],
            usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
          }),
          responseOptions: { headers: { 'content-type': 'application/json' } },
        };
      })
      .persist();
    const config = testConfig({
      deployments: [
        ...testConfigInput().deployments,
        {
          name: 'echo-upstream',
          provider: 'openai',
          model: 'echo-model',
          baseUrl: 'https://echo.example/v1',
          apiKeyEnv: 'UPSTREAM_KEY',
          prices: { inputPer1M: 1, outputPer1M: 1 },
          contextWindow: 128_000,
          maxOutputTokens: 4_096,
        },
      ],
    });
    const echo = config.deployments.find((d) => d.name === 'echo-upstream')!;
    const http = createHttpClient({ dispatcher: agent });
    const t = await buildTestApp(config, {
      'echo-upstream': createOpenAiAdapter(echo, http, { UPSTREAM_KEY: 'sk-test' }),
    });
    registry.resetMetrics();
    const users = 300;
    for (let i = 0; i < users; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'echo-upstream',
          user: `user-${i}`,
          messages: [{ role: 'user', content: 'hi' }],
        },
      });
      expect(res.statusCode).toBe(200);
    }
    expect(new Set(t.records.map((r) => r.servedModel)).size).toBe(users);
    for (const r of t.records) recordRequestMetrics(r);
    for (const r of t.records.slice(0, 50))
      recordFeedbackMetrics({
        id: `fb-${r.requestId}`,
        createdAt: r.time,
        score: 1,
        weight: 1,
        request: { ...r, tenant: 'default' },
      });
    const text = await metricsText();
    for (const metric of [
      'model_router_requests_total',
      'model_router_cost_usd_total',
      'model_router_request_duration_seconds_count',
      'model_router_feedback_score_count',
    ]) {
      const models = labelValues(
        text,
        metric,
        'model',
        metric.startsWith('model_router_feedback') ? 'router=""' : 'deployment="echo-upstream"',
      );
      // The first 8 names a deployment reports, then `other`.
      expect(models.size, metric).toBeLessThanOrEqual(9);
      expect(models.has('other'), metric).toBe(true);
    }
    expect(
      labelValues(text, 'model_router_requests_total', 'model', 'deployment="echo-upstream"'),
    ).toContain('echo-user-0');
  });

  it("an upstream's odd HTTP statuses fold into their class in the status label", async () => {
    agent = new MockAgent();
    agent.disableNetConnect();
    // An upstream (or a proxy before it: Cloudflare's 520-527) answering statuses no API uses.
    const odd = [418, 420, 451, 520, 527, 599];
    for (const status of odd)
      agent
        .get('https://odd.example')
        .intercept({ path: '/v1/chat/completions', method: 'POST' })
        .reply(status, { error: { message: `odd ${status}` } });
    const config = testConfig({
      deployments: [
        ...testConfigInput().deployments,
        {
          name: 'odd-upstream',
          provider: 'openai',
          model: 'odd-model',
          baseUrl: 'https://odd.example/v1',
          apiKeyEnv: 'UPSTREAM_KEY',
          prices: { inputPer1M: 1, outputPer1M: 1 },
          contextWindow: 128_000,
          maxOutputTokens: 4_096,
        },
      ],
    });
    const d = config.deployments.find((x) => x.name === 'odd-upstream')!;
    const t = await buildTestApp(config, {
      'odd-upstream': createOpenAiAdapter(d, createHttpClient({ dispatcher: agent }), {
        UPSTREAM_KEY: 'sk-test',
      }),
    });
    registry.resetMetrics();
    const statuses: number[] = [];
    for (const _ of odd) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'odd-upstream', messages: [{ role: 'user', content: 'hi' }] },
      });
      statuses.push(res.statusCode);
    }
    // The client still hears the upstream's status, as before.
    expect(statuses).toEqual(odd);
    for (const r of t.records) recordRequestMetrics(r);
    // A status the router itself answers is kept; the others are their class.
    recordRequestMetrics({ ...t.records[0]!, status: 429 });
    recordRequestMetrics({ ...t.records[0]!, status: 1234 });
    const values = labelValues(
      await metricsText(),
      'model_router_requests_total',
      'status',
      'deployment="odd-upstream"',
    );
    expect([...values].sort()).toEqual(['429', '4xx', '5xx', 'other']);
  });

  it('no value a client sends becomes a label: 150 rounds of new names add no series', async () => {
    const input = testConfigInput();
    input.deployments.push(simEmbeddingDeployment('embed'));
    const runtime = await createRuntime(parseConfig(input, {}).config);
    const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
      runtime.app.inject({ method: 'POST', url, payload, headers });
    // One round: each way a client names something, with `v` in every name it sends.
    const round = async (v: string) => {
      const statuses = [
        (
          await post('/v1/chat/completions', {
            model: v,
            messages: [{ role: 'user', content: 'x' }],
          })
        ).statusCode,
        (
          await post(
            '/v1/chat/completions',
            {
              model: 'small',
              user: v,
              metadata: { [v]: v },
              messages: [{ role: 'user', content: 'x' }],
            },
            { 'x-router-tags': v, 'x-request-id': v, 'x-router-max-wait-ms': '5' },
          )
        ).statusCode,
        (
          await post('/v1/chat/completions', {
            model: 'small',
            temperature: v,
            messages: [{ role: 'user', content: 'x' }],
          })
        ).statusCode,
        (await post('/v1/embeddings', { model: v, input: 'x' })).statusCode,
        (
          await post('/v1/messages', {
            model: v,
            max_tokens: 5,
            messages: [{ role: 'user', content: 'x' }],
          })
        ).statusCode,
        (await post('/v1/responses', { model: v, input: 'x' })).statusCode,
        (
          await post(`/openai/deployments/${v}/chat/completions?api-version=2024-10-21`, {
            messages: [{ role: 'user', content: 'x' }],
          })
        ).statusCode,
        (await runtime.app.inject({ method: 'GET', url: `/v1/${v}` })).statusCode,
        (await runtime.app.inject({ method: 'DELETE', url: `/${v}/${v}` })).statusCode,
      ];
      return statuses;
    };
    try {
      registry.resetMetrics();
      expect(await round('client-value-warm-up')).toEqual([
        404, 200, 400, 404, 404, 404, 404, 404, 404,
      ]);
      const before = seriesOf(await metricsText());
      for (let i = 0; i < 150; i++) await round(`client-value-${i}`);
      const text = await metricsText();
      expect(text).not.toContain('client-value');
      expect([...seriesOf(text)].filter((s) => !before.has(s))).toEqual([]);
      expect(seriesOf(text).size).toBe(before.size);
    } finally {
      await runtime.close();
    }
  });
});
