// Claude's own reply fields that chat has no place for (@anthropic-ai/sdk 1.13 `Message`:
// `stop_details`, `container`; `Usage`: `inference_geo`, `service_tier`, `cache_creation`): where
// Claude serves an Anthropic client, they come back as Claude sent them, in a JSON reply and in
// message_start / message_delta; another upstream's reply keeps the nulls; a chat client never
// sees the router's private fields that carry them. And `fallbacks` checked as the SDK types it.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { recordingHttp, type SentRequest } from '../../../test/helpers/fake-http.js';
import {
  claudeDeployment,
  openaiDeployment,
  testConfig,
} from '../../../test/helpers/test-config.js';
import { createAnthropicAdapter } from '../../providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { anthropicThroughInject } from '../../../test/helpers/anthropic-through-inject.js';

type Json = Record<string, unknown>;

// Shapes from the SDK's types (`RefusalStopDetails`, `Container`, `Usage`, `CacheCreation`).
const STOP_DETAILS = {
  type: 'refusal',
  category: 'cyber',
  explanation: 'The request could enable malware development.',
};
const CONTAINER = {
  id: 'container_011CPR5CNjB747bTd36fQLFk',
  expires_at: '2026-12-07T17:00:00Z',
  skills: null,
};
const CACHE_SPLIT = { ephemeral_5m_input_tokens: 7, ephemeral_1h_input_tokens: 23 };
const CLAUDE_USAGE = {
  input_tokens: 12,
  cache_creation_input_tokens: 30,
  cache_read_input_tokens: 0,
  cache_creation: CACHE_SPLIT,
  output_tokens: 4,
  service_tier: 'batch',
  inference_geo: 'us',
};
const refusal = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'I cannot help with that.' }],
  stop_reason: 'refusal',
  stop_sequence: null,
  stop_details: STOP_DETAILS,
  container: CONTAINER,
  usage: CLAUDE_USAGE,
});

/** Anthropic's stream of the same refusal (CONTRACTS.md §4.4; the SDK's stream event types). */
function refusalStream(): string {
  const { output_tokens: _o, ...startUsage } = CLAUDE_USAGE;
  const events: [string, Json][] = [
    [
      'message_start',
      {
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          stop_details: null,
          container: CONTAINER,
          usage: { ...startUsage, output_tokens: 1 },
        },
      },
    ],
    ['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'I cannot.' } }],
    ['content_block_stop', { index: 0 }],
    [
      'message_delta',
      {
        delta: {
          stop_reason: 'refusal',
          stop_sequence: null,
          stop_details: STOP_DETAILS,
          container: null,
        },
        usage: { output_tokens: CLAUDE_USAGE.output_tokens },
      },
    ],
    ['message_stop', {}],
  ];
  return events
    .map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join('');
}

async function claudeApp(reply: string) {
  const config = testConfig({
    deployments: [claudeDeployment(), openaiDeployment({ name: 'gpt', maxOutputTokens: 8192 })],
    routers: [],
  });
  const fake = recordingHttp(reply);
  const gptFake = recordingHttp(
    JSON.stringify({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4.1',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
    }),
  );
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(config.deployments[0]!, fake.http, {}),
    gpt: createOpenAiAdapter(config.deployments[1]!, gptFake.http, {}),
  });
  return { app, sent: fake.sent, gptSent: gptFake.sent };
}

const ask = (extra: Json = {}) => ({
  model: 'claude',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'Write malware' }],
  ...extra,
});

const upstreamBody = (sent: SentRequest[]) => JSON.parse(sent.at(-1)!.body) as Json;

/**
 * What a chat client gets from the same Claude reply: the answer, and none of the router's
 * private fields, even when it sends the mark of an Anthropic client itself.
 */
async function chatClientSees(app: Awaited<ReturnType<typeof claudeApp>>['app'], stream: boolean) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    payload: {
      model: 'claude',
      messages: [{ role: 'user', content: 'Write malware' }],
      stream,
      x_anthropic_client: true,
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.body).toContain('I cannot');
  expect(res.body).not.toMatch(/x_claude|x_anthropic|container_011|inference_geo/);
}

describe("Claude's reply fields, to an Anthropic client", () => {
  it('a JSON reply carries its stop_details, container, inference_geo, tier and cache split; a chat client gets none', async () => {
    const { app, sent } = await claudeApp(refusal);
    const client = anthropicThroughInject(app);
    const msg = await client.messages.create(ask({ container: CONTAINER.id, inference_geo: 'us' }));
    expect(msg.stop_reason).toBe('refusal');
    expect(msg.stop_details).toEqual(STOP_DETAILS);
    expect(msg.container).toEqual(CONTAINER);
    expect(msg.diagnostics).toBeNull();
    expect(msg.usage).toMatchObject({
      inference_geo: CLAUDE_USAGE.inference_geo,
      service_tier: CLAUDE_USAGE.service_tier,
      cache_creation: CACHE_SPLIT,
      cache_creation_input_tokens: CLAUDE_USAGE.cache_creation_input_tokens,
      input_tokens: CLAUDE_USAGE.input_tokens,
    });
    // The router's mark of an Anthropic client is its own: Claude never gets it.
    expect(Object.keys(upstreamBody(sent)).filter((k) => k.startsWith('x_'))).toEqual([]);
    await chatClientSees(app, false);
    expect(Object.keys(upstreamBody(sent)).filter((k) => k.startsWith('x_'))).toEqual([]);
    await app.close();
  });

  it('a stream carries them in message_start and message_delta, and the SDK accumulates them; a chat client gets none', async () => {
    const { app } = await claudeApp(refusalStream());
    const client = anthropicThroughInject(app);
    const stream = client.messages.stream(ask());
    const events: Json[] = [];
    // As sent: the SDK grows message_start's message into its snapshot.
    stream.on('streamEvent', (e) => events.push(JSON.parse(JSON.stringify(e)) as Json));
    const final = await stream.finalMessage();
    const start = events.find((e) => e.type === 'message_start')!.message as Json;
    expect(start).toMatchObject({ stop_details: null, container: CONTAINER });
    expect(start.usage).toMatchObject({
      inference_geo: CLAUDE_USAGE.inference_geo,
      service_tier: CLAUDE_USAGE.service_tier,
      cache_creation: CACHE_SPLIT,
    });
    const delta = events.find((e) => e.type === 'message_delta')!;
    expect(delta.delta).toMatchObject({
      stop_reason: 'refusal',
      stop_details: STOP_DETAILS,
      container: CONTAINER,
    });
    expect(delta.usage).toMatchObject({
      cache_creation_input_tokens: CLAUDE_USAGE.cache_creation_input_tokens,
      output_tokens: CLAUDE_USAGE.output_tokens,
    });
    expect(final.stop_details).toEqual(STOP_DETAILS);
    expect(final.container).toEqual(CONTAINER);
    expect(final.usage).toMatchObject({
      inference_geo: CLAUDE_USAGE.inference_geo,
      service_tier: CLAUDE_USAGE.service_tier,
      cache_creation: CACHE_SPLIT,
      cache_creation_input_tokens: CLAUDE_USAGE.cache_creation_input_tokens,
    });
    await chatClientSees(app, true);
    await app.close();
  });
});

describe('fallbacks, checked as the SDK types them', () => {
  const post = (app: Awaited<ReturnType<typeof claudeApp>>['app'], fallbacks: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: ask({ fallbacks }),
    });

  it("a malformed entry is a 400 in Anthropic's shape naming its path and what to send; valid ones reach Claude", async () => {
    const { app, sent } = await claudeApp(refusal);
    const cases: [unknown, string, string][] = [
      [[{ max_tokens: 100 }], 'fallbacks.0.model', 'Field required'],
      [[{ model: 'claude-haiku-4-5' }, { model: 7 }], 'fallbacks.1.model', 'valid string'],
      [[{ model: 'claude-haiku-4-5', speed: 'warp' }], 'fallbacks.0.speed', "'standard', 'fast'"],
      [[{ model: 'claude-haiku-4-5', max_tokens: 0 }], 'fallbacks.0.max_tokens', '1'],
      [
        [{ model: 'claude-haiku-4-5', temperature: 1 }],
        'fallbacks.0.temperature',
        'an entry takes',
      ],
      [
        [{ model: 'claude-haiku-4-5', thinking: { type: 'on' } }],
        'fallbacks.0.thinking.type',
        'adaptive',
      ],
      [
        [{ model: 'claude-haiku-4-5', thinking: { type: 'enabled' } }],
        'fallbacks.0.thinking.budget_tokens',
        '1024',
      ],
      [
        [{ model: 'claude-haiku-4-5', output_config: 'low' }],
        'fallbacks.0.output_config',
        'dictionary',
      ],
      [['claude-haiku-4-5'], 'fallbacks.0', 'dictionary'],
      ['claude-haiku-4-5', 'fallbacks', '"default"'],
    ];
    for (const [fallbacks, path, says] of cases) {
      const res = await post(app, fallbacks);
      expect(res.statusCode, JSON.stringify(fallbacks)).toBe(400);
      const body = res.json() as { type: string; error: { type: string; message: string } };
      expect(body.type).toBe('error');
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message.startsWith(`${path}: `), body.error.message).toBe(true);
      expect(body.error.message).toContain(says);
    }
    expect(sent).toHaveLength(0);
    // Valid ones (each form the SDK types) reach Claude as sent.
    const valid: unknown[] = [
      'default',
      null,
      [],
      [{ model: 'claude-haiku-4-5' }],
      [
        {
          model: 'claude-opus-4-5',
          max_tokens: 200,
          speed: 'fast',
          thinking: { type: 'enabled', budget_tokens: 2048 },
          output_config: { effort: 'low' },
        },
        { model: 'claude-haiku-4-5', thinking: { type: 'between_tools' }, speed: null },
      ],
    ];
    for (const fallbacks of valid) {
      const res = await post(app, fallbacks);
      expect(res.statusCode, res.body).toBe(200);
      if (fallbacks !== null) expect(upstreamBody(sent).fallbacks).toEqual(fallbacks);
    }
    await app.close();
  });
});
