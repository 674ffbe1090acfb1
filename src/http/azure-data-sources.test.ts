// Azure OpenAI's On Your Data (`data_sources`, "compatible only with Azure OpenAI":
// AIFoundryOpenAI.json `createChatCompletionRequest`): routed only to deployments that take it
// (`capabilities.dataSources`, by default the `azure` ones), sent there as is, the answer's
// `message.context` citations coming back; with no such deployment, a 400 naming the rule rather
// than an answer made without the data; a malformed value, a 400 naming the field.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import { testConfig } from '../../test/helpers/test-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';

type DeploymentInput = ConfigInput['deployments'][number];

const azureGpt: DeploymentInput = {
  name: 'azure-gpt',
  provider: 'azure',
  model: 'gpt-4.1-mini',
  baseUrl: 'http://127.0.0.1:9',
  apiVersion: '2024-10-21',
  prices: { inputPer1M: 0.4, outputPer1M: 1.6 },
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
};
/** Cheaper, so it serves whatever it may. */
const openaiGpt: DeploymentInput = {
  name: 'openai-gpt',
  provider: 'openai',
  model: 'gpt-4.1-nano',
  baseUrl: 'http://127.0.0.1:9/v1',
  prices: { inputPer1M: 0.1, outputPer1M: 0.4 },
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
};

const SOURCES = [
  {
    type: 'azure_search',
    parameters: {
      endpoint: 'https://search.example.net',
      index_name: 'handbook',
      authentication: { type: 'system_assigned_managed_identity' },
    },
  },
];
/** An On Your Data answer: its citations in `message.context` (`azureChatExtensionsMessageContext`). */
const CONTEXT = {
  citations: [
    {
      content: 'Leave is 25 days.',
      title: 'Handbook',
      url: 'https://x/1',
      filepath: null,
      chunk_id: '0',
    },
  ],
  intent: '["annual leave"]',
};
const reply = (model: string, context?: object) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        message: {
          role: 'assistant',
          content: 'You get 25 days [doc1].',
          ...(context ? { context } : {}),
        },
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });

/**
 * The same answer streamed as Azure streams On Your Data (AIFoundryOpenAIV1.json
 * `AzureChatCompletionStreamResponseDelta.context`): the prompt's filter results first, then the
 * citations in the first delta, then the text.
 */
const streamed = (model: string, context: object) => {
  const chunk = (choices: unknown[], extra: object = {}) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model, choices, ...extra })}\n\n`;
  return [
    chunk([], {
      model: '',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
    }),
    chunk([{ index: 0, delta: { role: 'assistant', context }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: 'You get 25 days' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: ' [doc1].' }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chunk([], { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }),
    'data: [DONE]\n\n',
  ].join('');
};

async function appWith(deployments: DeploymentInput[], azureStreams = false) {
  const config = testConfig({
    deployments,
    routers: [{ name: 'model-router', modelSubset: deployments.map((d) => d.name) }],
  });
  const toAzure = recordingHttp(
    azureStreams
      ? streamed('gpt-4.1-mini-2025-04-14', CONTEXT)
      : reply('gpt-4.1-mini-2025-04-14', CONTEXT),
  );
  const toOpenAi = recordingHttp(reply('gpt-4.1-nano-2025-04-14'));
  const adapters: Record<string, ReturnType<typeof createOpenAiAdapter>> = {};
  for (const d of config.deployments)
    adapters[d.name] = createOpenAiAdapter(
      d,
      d.provider === 'azure' ? toAzure.http : toOpenAi.http,
      {},
    );
  const t = await buildTestApp(config, adapters);
  return { ...t, toAzure: toAzure.sent, toOpenAi: toOpenAi.sent };
}

const ask = (extra: Record<string, unknown> = {}) => ({
  messages: [{ role: 'user', content: 'How many days of leave do I get?' }],
  data_sources: SOURCES,
  ...extra,
});
const AZURE_PATH = '/openai/deployments/model-router/chat/completions?api-version=2024-10-21';

describe("Azure's data_sources (On Your Data)", () => {
  it('is routed only to a deployment that takes it, sent as is, its citations coming back', async () => {
    const t = await appWith([azureGpt, openaiGpt]);
    const res = await t.app.inject({ method: 'POST', url: AZURE_PATH, payload: ask() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('azure-gpt');
    expect(t.toOpenAi).toHaveLength(0);
    expect(JSON.parse(t.toAzure[0]!.body).data_sources).toEqual(SOURCES);
    expect(res.json().choices[0].message.context).toEqual(CONTEXT);
    // Without it, the cheaper OpenAI deployment serves.
    const plain = await t.app.inject({
      method: 'POST',
      url: AZURE_PATH,
      payload: ask({ data_sources: undefined }),
    });
    expect(plain.headers['x-router-deployment']).toBe('openai-gpt');
    await t.app.close();
  });

  it('is a 400 naming data_sources where no deployment takes it, before any upstream is called', async () => {
    const t = await appWith([openaiGpt, { ...azureGpt, capabilities: { dataSources: false } }]);
    for (const url of [AZURE_PATH, '/v1/chat/completions']) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        payload: ask({ model: 'model-router' }),
      });
      expect(res.statusCode).toBe(400);
      const error = res.json().error;
      expect(error.code).toBe('no_eligible_deployment');
      expect(error.message).toContain('data_sources');
      expect(error.exclusions).toEqual([
        { deployment: 'openai-gpt', failed: ['data_sources'] },
        { deployment: 'azure-gpt', failed: ['data_sources'] },
      ]);
    }
    expect(t.toOpenAi).toHaveLength(0);
    expect(t.toAzure).toHaveLength(0);
    await t.app.close();
  });

  it('is a 400 naming the field, or the entry, when it is not a list of sources', async () => {
    const t = await appWith([azureGpt]);
    for (const [data_sources, param] of [
      [{ type: 'azure_search' }, 'data_sources'],
      [[{ parameters: {} }], 'data_sources[0]'],
      [[SOURCES[0], 'azure_search'], 'data_sources[1]'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: AZURE_PATH,
        payload: ask({ data_sources }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
    expect(t.toAzure).toHaveLength(0);
    await t.app.close();
  });

  it('keeps message.context in a stored completion (store: true)', async () => {
    const t = await appWith([azureGpt]);
    const res = await t.app.inject({
      method: 'POST',
      url: AZURE_PATH,
      payload: ask({ store: true }),
    });
    expect(res.json().choices[0].message.context).toEqual(CONTEXT);
    const kept = await t.app.inject({
      method: 'GET',
      url: `/openai/v1/chat/completions/${res.json().id}`,
    });
    expect(kept.statusCode).toBe(200);
    expect(kept.json().choices[0].message.context).toEqual(CONTEXT);
    await t.app.close();
  });

  it("passes a stream's delta.context on, and keeps it when the stream is stored", async () => {
    const t = await appWith([azureGpt], true);
    // As written (pass-through), re-serialised (include_usage), and assembled (store: true).
    for (const extra of [
      {},
      { stream_options: { include_usage: true } },
      { store: true },
    ] as Record<string, unknown>[]) {
      const res = await t.app.inject({
        method: 'POST',
        url: AZURE_PATH,
        payload: ask({ stream: true, ...extra }),
      });
      expect(res.statusCode).toBe(200);
      const chunks = res.body
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => JSON.parse(e.slice(6)));
      const contexts = chunks.flatMap((c) =>
        (c.choices ?? []).flatMap((ch: { delta?: { context?: unknown } }) =>
          ch.delta?.context ? [ch.delta.context] : [],
        ),
      );
      expect(contexts, JSON.stringify(extra)).toEqual([CONTEXT]);
      if (extra.store) {
        const kept = await t.app.inject({
          method: 'GET',
          url: `/openai/v1/chat/completions/${chunks[0].id}`,
        });
        expect(kept.statusCode).toBe(200);
        expect(kept.json().choices[0].message).toMatchObject({
          content: 'You get 25 days [doc1].',
          context: CONTEXT,
        });
      }
    }
    await t.app.close();
  });
});
