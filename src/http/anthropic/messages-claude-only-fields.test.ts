// Claude-only request fields of @anthropic-ai/sdk 1.13 (`speed`, `diagnostics`, `container`,
// `inference_geo`, and the beta's `fallbacks` and `compaction`): a Claude deployment gets them as
// sent; another upstream never sees them, and the warning names each one that changes the answer;
// `inference_geo` keeps the request in that data zone. And the reply fields the SDK types as
// there but nullable (usage.cache_creation, service_tier, inference_geo; stop_details, container,
// diagnostics), present in a JSON reply and in message_start / message_delta.
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

const gpt = (name: string, dataZone?: string) =>
  openaiDeployment({ name, maxOutputTokens: 8192, ...(dataZone ? { dataZone } : {}) });
const claude = claudeDeployment();
const chatReply = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4.1',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
});
const claudeReply = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'Hi.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 2, service_tier: 'standard' },
});
const CLAUDE_ONLY = {
  speed: 'fast',
  diagnostics: { previous_message_id: 'msg_0' },
  container: 'container_011',
  inference_geo: 'us',
  fallbacks: [{ model: 'claude-haiku-4-5' }],
  compaction: { type: 'summarize' },
};
const ask = (model: string, extra: Json = {}) => ({
  model,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});

async function fleet() {
  const config = testConfig({
    deployments: [gpt('gpt-global'), gpt('gpt-us', 'us'), claude],
    routers: [{ name: 'model-router', modelSubset: ['gpt-global', 'gpt-us', 'claude'] }],
  });
  const d = (name: string) => config.deployments.find((x) => x.name === name)!;
  const sent: Record<string, SentRequest[]> = {};
  const openai = (name: string) => {
    const fake = recordingHttp(chatReply);
    sent[name] = fake.sent;
    return createOpenAiAdapter(d(name), fake.http, {});
  };
  const fakeClaude = recordingHttp(claudeReply);
  sent.claude = fakeClaude.sent;
  const { app } = await buildTestApp(config, {
    'gpt-global': openai('gpt-global'),
    'gpt-us': openai('gpt-us'),
    claude: createAnthropicAdapter(d('claude'), fakeClaude.http, {}),
  });
  const post = (body: Json) =>
    app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      payload: body,
    });
  return { app, sent, post };
}

describe("an Anthropic client's Claude-only request fields", () => {
  it('reach a Claude deployment as sent, but for those answered in the reply', async () => {
    const { app, sent, post } = await fleet();
    const res = await post(ask('claude', CLAUDE_ONLY));
    expect(res.statusCode, res.body).toBe(200);
    const upstream = JSON.parse(sent.claude!.at(-1)!.body) as Json;
    const { diagnostics: _d, compaction: _c, ...served } = CLAUDE_ONLY;
    for (const [field, value] of Object.entries(served)) expect(upstream[field]).toEqual(value);
    // Answered in the reply, which the router does not carry back from Claude: not asked for,
    // and said.
    expect(upstream).not.toHaveProperty('diagnostics');
    expect(upstream).not.toHaveProperty('compaction');
    const warnings = String(res.headers['x-router-warnings']);
    expect(warnings).toContain('diagnostics dropped: ');
    expect(warnings).toContain('compaction dropped: ');
    expect(warnings).not.toMatch(/speed|container|fallbacks|inference_geo/);
    await app.close();
  });

  it('are not sent to another upstream, and the warning names each that changes the answer', async () => {
    const { app, sent, post } = await fleet();
    const { inference_geo: _geo, ...rest } = CLAUDE_ONLY;
    const res = await post(ask('gpt-global', rest));
    expect(res.statusCode, res.body).toBe(200);
    const upstream = JSON.parse(sent['gpt-global']!.at(-1)!.body) as Json;
    for (const field of Object.keys(CLAUDE_ONLY)) expect(upstream).not.toHaveProperty(field);
    expect(Object.keys(upstream).filter((k) => k.startsWith('x_'))).toEqual([]);
    const warnings = String(res.headers['x-router-warnings']);
    for (const field of ['speed', 'diagnostics', 'container', 'fallbacks', 'compaction'])
      expect(warnings).toContain(`${field} dropped: gpt-global`);
    // `speed: "standard"` is every model's speed: nothing to say.
    const standard = await post(ask('gpt-global', { speed: 'standard' }));
    expect(standard.statusCode).toBe(200);
    expect(standard.headers['x-router-warnings']).toBeUndefined();
    await app.close();
  });

  it('inference_geo keeps the request in that data zone, or Claude; else a 400 naming the rule', async () => {
    const { app, sent, post } = await fleet();
    const outside = await post(ask('gpt-global', { inference_geo: 'us' }));
    expect(outside.statusCode, outside.body).toBe(400);
    expect(outside.json().error.message).toContain('inference_geo');
    expect(sent['gpt-global']).toHaveLength(0);

    const inside = await post(ask('gpt-us', { inference_geo: 'us' }));
    expect(inside.statusCode, inside.body).toBe(200);
    expect(inside.headers['x-router-warnings']).toBeUndefined();
    // Anthropic's `global` is anywhere.
    expect((await post(ask('gpt-global', { inference_geo: 'global' }))).statusCode).toBe(200);
    // A router picks only among those that keep it: never gpt-global.
    for (let i = 0; i < 6; i++) {
      const routed = await post(ask('model-router', { inference_geo: 'us' }));
      expect(routed.statusCode, routed.body).toBe(200);
      expect(['gpt-us', 'claude']).toContain(routed.headers['x-router-deployment']);
    }
    expect(sent['gpt-global']).toHaveLength(1);
    await app.close();
  });

  it('a speed or inference_geo of the wrong kind is a 400 naming it', async () => {
    const { app, post } = await fleet();
    const speed = await post(ask('claude', { speed: 'warp' }));
    expect(speed.statusCode).toBe(400);
    expect(speed.json().error.message).toContain('speed');
    const geo = await post(ask('claude', { inference_geo: 7 }));
    expect(geo.statusCode).toBe(400);
    expect(geo.json().error.message).toContain('inference_geo');
    await app.close();
  });
});

describe('reply fields the SDK types as there but nullable', () => {
  it('are in a JSON reply, whichever upstream served', async () => {
    const { app, post } = await fleet();
    for (const model of ['gpt-global', 'claude']) {
      const res = await post(ask(model));
      expect(res.statusCode, res.body).toBe(200);
      const message = res.json() as Json;
      expect(message).toMatchObject({ stop_details: null, container: null, diagnostics: null });
      expect(message.usage).toMatchObject({
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        service_tier: model === 'claude' ? 'standard' : null,
        inference_geo: null,
      });
    }
    await app.close();
  });

  it('are in message_start and message_delta, and the SDK accumulates them', async () => {
    const config = testConfig({ deployments: [gpt('gpt-global')], routers: [] });
    const chunk = (delta: Json, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4.1',
        choices: [{ index: 0, delta, finish_reason: finish }],
      })}\n\n`;
    const sse =
      chunk({ role: 'assistant', content: 'Hi.' }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
    const { app } = await buildTestApp(config, {
      'gpt-global': createOpenAiAdapter(config.deployments[0]!, recordingHttp(sse).http, {}),
    });
    const client = anthropicThroughInject(app);
    const stream = client.messages.stream(ask('gpt-global') as never);
    const events: Json[] = [];
    stream.on('streamEvent', (e) => events.push(e as unknown as Json));
    const final = await stream.finalMessage();
    const start = events.find((e) => e.type === 'message_start')!.message as Json;
    expect(start).toMatchObject({ stop_details: null, container: null, diagnostics: null });
    expect(start.usage).toMatchObject({
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      service_tier: null,
      inference_geo: null,
    });
    const delta = events.find((e) => e.type === 'message_delta')!.delta as Json;
    expect(delta).toMatchObject({ stop_reason: 'end_turn', stop_details: null, container: null });
    expect(final).toMatchObject({ stop_details: null, container: null, diagnostics: null });
    await app.close();
  });
});
