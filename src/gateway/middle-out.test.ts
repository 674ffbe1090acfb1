// OpenRouter's middle-out (`transforms: ["middle-out"]`, `plugins: [{id: "context-compression"}]`):
// an over-long conversation is fitted to the context window by leaving messages out of its middle
// (the first turn and the latest stay), then by cutting the middle out of its longest text; said
// in x-router-warnings; neither field sent upstream; malformed values a 400 naming the field.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../test/helpers/fake-http.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import type { ChatMessage } from '../core/wire-types.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

// 1,500 tokens each (o200k counts each "<tag> line <n>" line as 5).
const bulky = (tag: string, lines = 300) =>
  Array.from({ length: lines }, (_, i) => `${tag} line ${i}`).join('\n');

/** Five turns of 1,500 tokens and more: over `small`'s 4,000 tokens of prompt. */
const conversation: ChatMessage[] = [
  { role: 'system', content: 'You answer questions about files.' },
  ...['one', 'two', 'three', 'four'].flatMap((n): ChatMessage[] => [
    { role: 'user', content: `File ${n}:\n${bulky(n)}` },
    { role: 'assistant', content: `Read file ${n}.` },
  ]),
  { role: 'user', content: 'Which file came first?' },
];

const apps: { app: { close(): Promise<unknown> } }[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) await t.app.close();
});

/** `small` reads 5,000 tokens (4,000 of prompt beside its 1,000 of output). */
async function setup() {
  const config = testConfig({
    deployments: [simDeployment('small', { contextWindow: 5_000, maxOutputTokens: 1_000 })],
    routers: [],
  });
  const adapters = { small: fakeAdapter('small', [{ reply: 'File one.' }]) };
  const t = await buildTestApp(config, adapters, { responses: createResponseStore() });
  apps.push(t);
  const chat = (payload: Json) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'small', max_tokens: 1000, messages: conversation, ...payload },
    });
  return { ...t, adapters, chat };
}

const sent = (a: { calls: { body: { messages: ChatMessage[] } }[] }) =>
  a.calls.at(-1)!.body.messages;
const texts = (messages: ChatMessage[]) => messages.map((m) => String(m.content).slice(0, 12));

describe('middle-out on POST /v1/chat/completions', () => {
  it('leaves the middle turns out, keeps the first and the latest, and says so', async () => {
    const t = await setup();
    const res = await t.chat({ transforms: ['middle-out'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(texts(sent(t.adapters.small))).toEqual([
      'You answer q',
      'File one:\non',
      'Read file on',
      'File four:\nf',
      'Read file fo',
      'Which file c',
    ]);
    expect(res.headers['x-router-warnings']).toBe(
      'middle-out left 4 of 10 messages out of the middle, to fit a 5000-token context window',
    );
  });

  it('the context-compression plugin does the same; without either, the 400 as before', async () => {
    const t = await setup();
    const plugin = await t.chat({ plugins: [{ id: 'context-compression' }] });
    expect(plugin.statusCode, plugin.body).toBe(200);
    expect(sent(t.adapters.small)).toHaveLength(6);
    for (const ask of [
      {},
      { transforms: [] },
      { plugins: [{ id: 'context-compression', enabled: false }] },
    ]) {
      const res = await t.chat(ask);
      expect(res.statusCode, JSON.stringify(ask)).toBe(400);
      expect(res.json().error.code).toBe('context_length_exceeded');
    }
  });

  it('cuts the middle out of a text too long by itself, keeping its start and end', async () => {
    const t = await setup();
    const document = bulky('doc', 2000); // 10,000 tokens
    const res = await t.chat({
      messages: [{ role: 'user', content: `Summarise:\n${document}` }],
      transforms: ['middle-out'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const content = String(sent(t.adapters.small)[0]!.content);
    expect(content.startsWith('Summarise:\ndoc line 0\n')).toBe(true);
    expect(content.endsWith('doc line 1999')).toBe(true);
    expect(content).toContain('\n\n[…]\n\n');
    expect(content.length).toBeLessThan(document.length / 2);
    expect(res.headers['x-router-warnings']).toMatch(
      /^middle-out cut \d+ characters out of the middle of the longest text, to fit a 5000-token context window$/,
    );
    // The upstream's count: what the router counted fits.
    expect(res.json().usage.prompt_tokens).toBeLessThanOrEqual(4000);
  });

  it('a conversation that fits is sent whole, with no warning', async () => {
    const t = await setup();
    const res = await t.chat({ messages: conversation.slice(-3), transforms: ['middle-out'] });
    expect(res.statusCode, res.body).toBe(200);
    expect(sent(t.adapters.small)).toHaveLength(3);
    expect(res.headers['x-router-warnings']).toBeUndefined();
  });

  it('names what it does not apply, and 400s a malformed value naming the field', async () => {
    const t = await setup();
    const other = await t.chat({
      messages: conversation.slice(-1),
      transforms: ['summarize'],
      plugins: [{ id: 'file-parser' }],
    });
    expect(other.statusCode, other.body).toBe(200);
    expect(other.headers['x-router-warnings']).toBe(
      'transforms: "summarize" not applied (the router has "middle-out" only); plugins: "file-parser" not applied (the router runs "context-compression" and "web" only)',
    );
    const cases: [Json, string][] = [
      [{ transforms: 'middle-out' }, 'transforms'],
      [{ transforms: [1] }, 'transforms[0]'],
      [{ plugins: { id: 'context-compression' } }, 'plugins'],
      [{ plugins: ['context-compression'] }, 'plugins[0]'],
      [{ plugins: [{ name: 'context-compression' }] }, 'plugins[0].id'],
    ];
    for (const [ask, param] of cases) {
      const res = await t.chat({ messages: conversation.slice(-1), ...ask });
      expect(res.statusCode, JSON.stringify(ask)).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param });
    }
  });

  it('on the Responses API and legacy completions too', async () => {
    const t = await setup();
    const responses = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'small',
        max_output_tokens: 1000,
        input: conversation.slice(1),
        instructions: 'You answer questions about files.',
        transforms: ['middle-out'],
      },
    });
    expect(responses.statusCode, responses.body).toBe(200);
    expect(responses.headers['x-router-warnings']).toContain('middle-out left 4 of 10 messages');
    const completions = await t.app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: {
        model: 'small',
        max_tokens: 1000,
        prompt: bulky('doc', 2000),
        transforms: ['middle-out'],
      },
    });
    expect(completions.statusCode, completions.body).toBe(200);
    expect(completions.headers['x-router-warnings']).toContain('middle-out cut');
  });
});

describe('transforms and plugins upstream', () => {
  it('are never sent to an OpenAI upstream', async () => {
    const config = testConfig({
      deployments: [
        {
          name: 'gpt',
          provider: 'openai',
          model: 'gpt-4o-mini',
          baseUrl: 'http://127.0.0.1:9/v1',
          prices: { inputPer1M: 0.15, outputPer1M: 0.6 },
          contextWindow: 128_000,
          maxOutputTokens: 16_384,
        },
      ],
      routers: [],
    });
    const { http, sent: upstream } = scriptedHttp(() => ({
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [
          { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hi.' } },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      },
    }));
    const t = await buildTestApp(config, {
      gpt: createOpenAiAdapter(config.deployments[0]!, http, {}),
    });
    apps.push(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'gpt',
        messages: [{ role: 'user', content: 'Hi' }],
        transforms: ['middle-out'],
        plugins: [{ id: 'context-compression' }],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = JSON.parse(upstream[0]!.body) as Json;
    expect(body).not.toHaveProperty('transforms');
    expect(body).not.toHaveProperty('plugins');
  });
});
