// The simulated fleet as the official SDKs see it against the BUILT server, where an SDK audit
// (2026-12) found it unlike the APIs it stands in for: a reasoning model gave no thinking block on
// /v1/messages and no reasoning item on /v1/responses, and a Response cut at max_output_tokens
// had its message `completed`.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let openai: OpenAI;
let anthropic: Anthropic;

const reasoning = { tools: true, jsonSchema: true, reasoning: true, streaming: true };

beforeAll(async () => {
  server = await spawnServer(
    testConfigInput({
      deployments: [
        simDeployment('thinker', {
          capabilities: reasoning,
          simulation: { answerTokens: 20, reasoningTokens: 12 },
        }),
        // Reasoning parameters accepted, no reasoning tokens: as the default config's Claude.
        simDeployment('quiet', { capabilities: reasoning, simulation: { answerTokens: 20 } }),
        simDeployment('long', { simulation: { answerTokens: 200 } }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['long'] }],
    }),
  );
  openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

const ask = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

describe('@anthropic-ai/sdk: thinking on a simulated reasoning model', () => {
  it('messages.create and messages.stream: a thinking block before the text, enabled or adaptive', async () => {
    const enabled = await anthropic.messages.create({
      model: 'thinker',
      max_tokens: 2048,
      messages: ask,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expect(enabled.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const block = enabled.content[0]!;
    expect(block.type === 'thinking' && block.thinking).toMatch(/^Simulated reasoning: /);

    const adaptive = await anthropic.messages.create({
      model: 'thinker',
      max_tokens: 2048,
      messages: ask,
      thinking: { type: 'adaptive' },
    });
    expect(adaptive.content.map((b) => b.type)).toEqual(['thinking', 'text']);

    const stream = anthropic.messages.stream({
      model: 'thinker',
      max_tokens: 2048,
      messages: ask,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    let thought = '';
    stream.on('thinking', (delta) => (thought += delta));
    const final = await stream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(thought).toBe(block.type === 'thinking' ? block.thinking : undefined);

    // None from a model with no reasoning tokens, thinking asked or not.
    const quiet = await anthropic.messages.create({
      model: 'quiet',
      max_tokens: 2048,
      messages: ask,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expect(quiet.content.map((b) => b.type)).toEqual(['text']);
  });
});

describe('openai: the Responses API on the simulated fleet', () => {
  it('responses.create and responses.stream: a reasoning item (empty summary) before the message', async () => {
    const created = await openai.responses.create({
      model: 'thinker',
      input: 'Why is the sky blue?',
    });
    expect(created.output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(created.output[0]).toMatchObject({ type: 'reasoning', summary: [] });
    expect(created.usage?.output_tokens_details.reasoning_tokens).toBe(12);
    expect(created.output_text.length).toBeGreaterThan(0);

    const streamed = await openai.responses
      .stream({ model: 'thinker', input: 'Why is the sky blue?' })
      .finalResponse();
    expect(streamed.output.map((i) => i.type)).toEqual(['reasoning', 'message']);

    const quiet = await openai.responses.create({ model: 'quiet', input: 'Why is the sky blue?' });
    expect(quiet.output.map((i) => i.type)).toEqual(['message']);
  });

  it('max_output_tokens reached: the response and its message incomplete, JSON and streamed', async () => {
    const body = { model: 'long', input: 'Explain the tides.', max_output_tokens: 16 };
    const created = await openai.responses.create(body);
    expect(created.status).toBe('incomplete');
    expect(created.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(created.output).toHaveLength(1);
    expect(created.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(created.output_text.length).toBeGreaterThan(0);

    const stream = openai.responses.stream(body);
    const doneItems: string[] = [];
    stream.on('response.output_item.done', (e) => {
      if (e.item.type === 'message') doneItems.push(e.item.status);
    });
    const final = await stream.finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
    expect(doneItems).toEqual(['incomplete']);
  });
});
