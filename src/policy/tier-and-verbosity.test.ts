// `verbosity` and `service_tier` on the way up (policy/tier-and-verbosity.ts, through
// adaptRequestForDeployment): kept for the OpenAI-format providers, dropped with a warning for
// Anthropic (silently for `auto`, OpenAI's default); the Responses bridge sends `text.verbosity`
// and `service_tier` as chat's fields. On the way back, the tier an upstream reports serving at.
import { describe, expect, it } from 'vitest';
import { claudeDeployment, openaiDeployment } from '../../test/helpers/test-config.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import { chatToMessage } from '../http/anthropic/messages-reply.js';
import { chatChunksToMessageEvents } from '../http/anthropic/messages-stream.js';
import { responsesToChat } from '../http/responses/responses-convert.js';
import { chatToResponse } from '../http/responses/responses-reply.js';
import { anthropicToChatResponse } from '../providers/anthropic/anthropic-reply.js';
import { anthropicEventsToChunks } from '../providers/anthropic/anthropic-stream.js';
import type { SseMessage } from '../providers/sse-parser.js';
import { adaptRequestForDeployment } from './reasoning-params.js';

const request = (extra: Partial<ChatRequest>): ChatRequest =>
  ({ model: 'x', messages: [{ role: 'user', content: 'hi' }], ...extra }) as ChatRequest;

describe('verbosity and service_tier upstream', () => {
  it('are sent on to OpenAI, Azure OpenAI and OpenAI-compatible deployments, without a warning', () => {
    for (const provider of ['openai', 'azure', 'openai-compatible'] as const) {
      const deployment = openaiDeployment({
        provider,
        ...(provider === 'azure'
          ? { baseUrl: 'https://r.openai.azure.com', apiVersion: 'v1' }
          : {}),
        ...(provider === 'openai-compatible' ? { baseUrl: 'http://127.0.0.1:9/v1' } : {}),
      });
      const { body, warnings } = adaptRequestForDeployment(
        request({ verbosity: 'low', service_tier: 'flex' }),
        deployment,
      );
      expect(body, provider).toMatchObject({ verbosity: 'low', service_tier: 'flex' });
      expect(warnings, provider).toEqual([]);
    }
  });

  it("Anthropic: verbosity dropped with a warning; service_tier kept for Claude's own (flex said)", () => {
    const sent = request({ verbosity: 'high', service_tier: 'priority' });
    const { body, warnings } = adaptRequestForDeployment(sent, claudeDeployment());
    expect(body).not.toHaveProperty('verbosity');
    expect(body.service_tier).toBe('priority');
    expect(sent).toMatchObject({ verbosity: 'high', service_tier: 'priority' });
    expect(warnings).toEqual(["verbosity dropped: claude's API (anthropic) has no such parameter"]);
    for (const tier of ['auto', 'default'] as const)
      expect(
        adaptRequestForDeployment(request({ service_tier: tier }), claudeDeployment()).warnings,
      ).toEqual([]);
    const flex = adaptRequestForDeployment(request({ service_tier: 'flex' }), claudeDeployment());
    expect(flex.warnings).toEqual([
      "service_tier flex sent as standard_only: claude's API (anthropic) has no such tier",
    ]);
  });

  it("the Responses bridge sends text.verbosity and service_tier as chat's fields", () => {
    const { chat } = responsesToChat(
      { model: 'm', input: 'hi', text: { verbosity: 'low' }, service_tier: 'flex' },
      undefined,
    );
    expect(chat).toMatchObject({ verbosity: 'low', service_tier: 'flex' });
    const plain = responsesToChat({ model: 'm', input: 'hi' }, undefined).chat;
    expect(plain).not.toHaveProperty('verbosity');
    expect(plain).not.toHaveProperty('service_tier');
  });
});

const reply = (tier?: string) =>
  ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-5',
    ...(tier ? { service_tier: tier } : {}),
    choices: [
      {
        index: 0,
        finish_reason: 'stop',
        logprobs: null,
        message: { role: 'assistant', content: 'x', refusal: null },
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }) as ChatResponse;

async function* events(list: object[]): AsyncGenerator<SseMessage> {
  for (const e of list) yield { data: JSON.stringify(e) } as SseMessage;
}

describe('the tier an upstream served at, in the reply', () => {
  it("a Response says the upstream's tier, else the one asked for", () => {
    const ctx = { id: 'resp_1', createdAt: 0, request: { service_tier: 'auto' } };
    expect(chatToResponse(reply('default'), ctx).response.service_tier).toBe('default');
    expect(chatToResponse(reply(), ctx).response.service_tier).toBe('auto');
  });

  it("Claude's usage.service_tier as OpenAI's (standard is default), JSON and streamed", async () => {
    const message = (tier?: string) => ({
      id: 'msg_1',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'x' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 1, output_tokens: 1, ...(tier ? { service_tier: tier } : {}) },
    });
    const d = claudeDeployment();
    expect(anthropicToChatResponse(message('standard'), d).service_tier).toBe('default');
    expect(anthropicToChatResponse(message('priority'), d).service_tier).toBe('priority');
    expect(anthropicToChatResponse(message(), d)).not.toHaveProperty('service_tier');
    const chunks: ChatChunk[] = [];
    for await (const c of anthropicEventsToChunks(
      events([
        { type: 'message_start', message: { ...message('priority'), content: [] } },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1 } },
        { type: 'message_stop' },
      ]),
      d,
    ))
      chunks.push(c);
    expect(chunks.at(-1)).toMatchObject({
      usage: { completion_tokens: 1 },
      service_tier: 'priority',
    });
  });

  it("an Anthropic client's usage.service_tier: default is standard, priority priority, flex null", async () => {
    expect(chatToMessage(reply('default')).usage).toMatchObject({ service_tier: 'standard' });
    expect(chatToMessage(reply('priority')).usage).toMatchObject({ service_tier: 'priority' });
    // Anthropic has no such tier: null, as the SDK types it when there is none.
    expect(chatToMessage(reply('flex')).usage).toMatchObject({ service_tier: null });
    const streamed: string[] = [];
    const chunk = (extra: object) =>
      ({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-5',
        ...extra,
      }) as ChatChunk;
    async function* chunks() {
      yield chunk({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] });
      yield chunk({ choices: [], service_tier: 'default', usage: reply().usage });
    }
    for await (const e of chatChunksToMessageEvents(chunks(), 'gpt-5')) streamed.push(e.data);
    const delta = streamed.find((e) => e.includes('"message_delta"'));
    expect(delta).toContain('"service_tier":"standard"');
  });
});
