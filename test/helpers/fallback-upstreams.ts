// Two OpenAI deployments behind undici's MockAgent beside the simulated test fleet, for the tests
// of OpenRouter's `models` fallbacks (src/gateway/model-fallbacks*.test.ts): `gpt-a` (pool
// `pool-a`) at a.example and `gpt-b` (pool `pool-b`) at b.example, each answering from its script.
import { MockAgent } from 'undici';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Authenticator } from '../../src/http/auth-hook.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { createResponseStore } from '../../src/store/response-store.js';
import { buildTestApp } from './build-test-app.js';
import { fakeAdapter } from './fake-adapter.js';
import { testConfig, testConfigInput } from './test-config.js';

let agent: MockAgent | undefined;

/** Closes the MockAgent the last fallbacksApp made (each test's afterEach). */
export async function closeFallbackUpstreams(): Promise<void> {
  await agent?.close();
  agent = undefined;
}

/** An OpenAI deployment `name` serving `model` at https://`host`/v1 ($2 / $8 per 1M). */
export const openaiDeployment = (name: string, model: string, host: string) => ({
  name,
  provider: 'openai' as const,
  model,
  baseUrl: `https://${host}/v1`,
  apiKeyEnv: 'UPSTREAM_KEY',
  prices: { inputPer1M: 2, outputPer1M: 8 },
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
});

/** A chat completion's JSON from `model` answering `text` (1,000 prompt, 500 completion tokens). */
export const completionBody = (model: string, text: string) =>
  JSON.stringify({
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }],
    usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
  });

/** A chat completion stream from `model`: `parts` as content deltas, then usage and [DONE]. */
export const streamBody = (model: string, parts: string[]) =>
  [
    ...parts.map((p) => ({ choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })),
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { choices: [], usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 } },
  ]
    .map(
      (c) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, ...c })}\n\n`,
    )
    .join('') + 'data: [DONE]\n\n';

/** One scripted upstream answer. */
export type UpstreamAnswer = { status: number; body: string; stream?: boolean };

/**
 * The test fleet plus `gpt-a` (pool `pool-a`) and `gpt-b` (pool `pool-b`), each OpenAI upstream
 * answering from its script; `sent` keeps every body an upstream received.
 */
export async function fallbacksApp(
  scripts: { a: UpstreamAnswer[]; b: UpstreamAnswer[] },
  opts: { authenticator?: Authenticator; overrides?: Partial<ConfigInput> } = {},
) {
  agent = new MockAgent();
  agent.disableNetConnect();
  const base = testConfigInput();
  const config = testConfig({
    deployments: [
      ...base.deployments,
      openaiDeployment('gpt-a', 'gpt-4.1', 'a.example'),
      openaiDeployment('gpt-b', 'gpt-4.1-mini', 'b.example'),
    ],
    pools: [
      { name: 'pool-a', deployments: ['gpt-a'] },
      { name: 'pool-b', deployments: ['gpt-b'] },
    ],
    ...opts.overrides,
  });
  const sent: { a: Record<string, unknown>[]; b: Record<string, unknown>[] } = { a: [], b: [] };
  for (const key of ['a', 'b'] as const) {
    const script = [...scripts[key]];
    agent
      .get(`https://${key}.example`)
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply((req) => {
        sent[key].push(JSON.parse(String(req.body)) as Record<string, unknown>);
        const answer = script.length > 1 ? script.shift()! : script[0]!;
        return {
          statusCode: answer.status,
          data: answer.body,
          responseOptions: {
            headers: { 'content-type': answer.stream ? 'text/event-stream' : 'application/json' },
          },
        };
      })
      .persist();
  }
  const http = createHttpClient({ dispatcher: agent });
  const env = { UPSTREAM_KEY: 'sk-test' };
  const fakes = Object.fromEntries(
    ['big', 'mid', 'small'].map((n) => [n, fakeAdapter(`${n}-model`, [{ reply: 'sim' }])]),
  );
  const adapters = {
    ...fakes,
    ...Object.fromEntries(
      ['gpt-a', 'gpt-b'].map((n) => [
        n,
        createOpenAiAdapter(
          config.deployments.find((d) => d.name === n)!,
          http,
          env,
        ),
      ]),
    ),
  };
  const t = await buildTestApp(config, adapters, {
    ...(opts.authenticator ? { authenticator: opts.authenticator } : {}),
    responses: createResponseStore(1_000),
  });
  return { t, sent, fakes };
}

/** An upstream's `status` answer with an OpenAI error body. */
export const upstreamFailure = (status: number): UpstreamAnswer => ({
  status,
  body: JSON.stringify({ error: { message: `upstream ${status}`, type: 'server_error' } }),
});
/** OpenRouter's fields, which no upstream may receive. */
export const ROUTER_FIELDS = ['models', 'route', 'provider', 'usage'];
/** The one user message the tests send. */
export const sayHi = [{ role: 'user', content: 'Say hi.' }];
