// Inline images through the app, to a Claude deployment and to an OpenAI-compatible server: a
// mislabelled image reaches Claude with its bytes' type; one Claude cannot read goes where it may
// be read, and where nothing is left it is a 400 naming it, with no upstream called.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createAnthropicAdapter } from '../providers/anthropic/anthropic-adapter.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const JPEG = '/9j/4AAQSkZJRgABAQ==';
const BMP = 'Qk02AAAAAAAAADYAAAAoAAAA';

const claudeReply = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: 'a cat' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 10, output_tokens: 2 },
};
const vllmReply = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'qwen-vl',
  choices: [{ index: 0, message: { role: 'assistant', content: 'a cat' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
};

async function appWithClaudeAndVllm() {
  const config = testConfig({
    deployments: [
      {
        name: 'claude',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        // The cheaper: the router's first pick where it may serve.
        prices: { inputPer1M: 0.5, outputPer1M: 1 },
        contextWindow: 200000,
        maxOutputTokens: 8192,
        capabilities: { vision: true },
      },
      {
        name: 'vllm',
        provider: 'openai-compatible',
        model: 'qwen-vl',
        baseUrl: 'http://127.0.0.1:9/v1',
        prices: { inputPer1M: 3, outputPer1M: 15 },
        contextWindow: 200000,
        maxOutputTokens: 8192,
        capabilities: { vision: true },
      },
    ],
    routers: [
      { name: 'mixed', modelSubset: ['claude', 'vllm'] },
      { name: 'claude-only', modelSubset: ['claude'] },
    ],
  });
  const toClaude = recordingHttp(JSON.stringify(claudeReply));
  const toVllm = recordingHttp(JSON.stringify(vllmReply));
  const deployment = (name: string) => config.deployments.find((d) => d.name === name)!;
  const { app } = await buildTestApp(config, {
    claude: createAnthropicAdapter(deployment('claude'), toClaude.http, {}),
    vllm: createOpenAiAdapter(deployment('vllm'), toVllm.http, {}),
  });
  return { app, toClaude: toClaude.sent, toVllm: toVllm.sent };
}

const chatWithImage = (model: string, url: string) => ({
  model,
  messages: [
    { role: 'system', content: 'Be brief.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url } },
      ],
    },
  ],
});

describe('inline images to a Claude deployment, through the app', () => {
  it('JPEG bytes declared image/png reach Claude as image/jpeg', async () => {
    const { app, toClaude } = await appWithClaudeAndVllm();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatWithImage('claude', `data:image/png;base64,${JPEG}`),
    });
    expect(res.statusCode).toBe(200);
    const sent = JSON.parse(toClaude[0]!.body) as { messages: { content: unknown[] }[] };
    expect(sent.messages[0]!.content[1]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/jpeg', data: JPEG },
    });
  });

  it('a BMP for Claude alone is a 400 naming the part, and no upstream is called', async () => {
    const { app, toClaude, toVllm } = await appWithClaudeAndVllm();
    for (const model of ['claude', 'claude-only']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: chatWithImage(model, `data:image/bmp;base64,${BMP}`),
      });
      expect(res.statusCode).toBe(400);
      const error = res.json().error as Record<string, unknown>;
      expect(error).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_image_format',
        param: 'messages[1].content[1].image_url',
      });
      expect(error.message).toContain(
        'messages[1].content[1].image_url is not a PNG, JPEG, GIF or WebP image',
      );
      expect(error.message).toContain('claude: image_type');
    }
    expect(toClaude).toHaveLength(0);
    expect(toVllm).toHaveLength(0);
  });

  it('a router sends a BMP where it may be read (vLLM reads what Pillow does), a PNG to Claude', async () => {
    const { app, toClaude, toVllm } = await appWithClaudeAndVllm();
    const bmp = `data:image/bmp;base64,${BMP}`;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatWithImage('mixed', bmp),
    });
    expect(res.statusCode).toBe(200);
    expect(toClaude).toHaveLength(0);
    expect(toVllm).toHaveLength(1);
    expect(JSON.parse(toVllm[0]!.body).messages[1].content[1].image_url.url).toBe(bmp);
    const png = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: chatWithImage('mixed', `data:image/png;base64,${PNG}`),
    });
    expect(png.statusCode).toBe(200);
    expect(toClaude).toHaveLength(1);
  });

  it("on /v1/messages, the 400 is Anthropic's shape and names the block as the client sent it", async () => {
    const { app, toClaude } = await appWithClaudeAndVllm();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: {
        model: 'claude',
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: BMP } },
            ],
          },
        ],
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(res.json().error.message).toContain('messages.0.content.1.source is not a PNG');
    expect(toClaude).toHaveLength(0);
  });
});
