// A simulated model that reasons (`simulation.reasoningTokens`) answers with its reasoning as
// OpenAI-format reasoning servers do (`reasoning_content`), so the bridges give what Claude and
// OpenAI's reasoning models give: a thinking block on /v1/messages when thinking is asked (JSON
// and stream), a reasoning item on /v1/responses. Before, neither came back (SDK audit, 2026-12).
// A model that does not reason gives neither.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  simulatedAdapters,
  type TestApp,
} from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { createResponseStore } from '../../store/response-store.js';

type Json = Record<string, unknown>;

const config = testConfig({
  deployments: [
    simDeployment('thinker', {
      capabilities: { tools: true, jsonSchema: true, reasoning: true, streaming: true },
      simulation: { answerTokens: 20, reasoningTokens: 12 },
    }),
    simDeployment('plain', { simulation: { answerTokens: 20 } }),
    // Takes reasoning parameters, reports no reasoning tokens: as the default config's Claude.
    simDeployment('quiet', {
      capabilities: { tools: true, jsonSchema: true, reasoning: true, streaming: true },
      simulation: { answerTokens: 20 },
    }),
  ],
  routers: [{ name: 'model-router', modelSubset: ['plain'] }],
});

let t: TestApp | undefined;
async function app(): Promise<TestApp> {
  t ??= await buildTestApp(config, simulatedAdapters(config), {
    responses: createResponseStore(100),
  });
  return t;
}

afterAll(async () => {
  await t?.app.close();
});

const post = async (url: string, payload: Json) => {
  const res = await (await app()).app.inject({ method: 'POST', url, payload });
  expect(res.statusCode, res.body).toBe(200);
  return res;
};

/** The `data:` payloads of an SSE body, parsed. */
const events = (body: string): Json[] =>
  body
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => JSON.parse(l.slice(6)) as Json);

const ask = 'Why is the sky blue?';
const messages = (model: string, extra: Json = {}) => ({
  model,
  max_tokens: 2048,
  messages: [{ role: 'user', content: ask }],
  thinking: { type: 'enabled', budget_tokens: 1024 },
  ...extra,
});

describe('a simulated reasoning model on /v1/chat/completions', () => {
  it('returns its reasoning text beside the answer, the same for the same request', async () => {
    const body = { model: 'thinker', messages: [{ role: 'user', content: ask }] };
    const a = (await post('/v1/chat/completions', body)).json() as Json;
    const b = (await post('/v1/chat/completions', body)).json() as Json;
    const message = (a.choices as Json[])[0]!.message as Json;
    expect(message.reasoning_content).toMatch(/^Simulated reasoning: .*Why is the sky blue\?/);
    expect(((b.choices as Json[])[0]!.message as Json).reasoning_content).toBe(
      message.reasoning_content,
    );
    const streamed = events((await post('/v1/chat/completions', { ...body, stream: true })).body);
    const deltas = streamed.map((c) => ((c.choices as Json[])[0]?.delta ?? {}) as Json);
    const text = deltas.map((d) => d.reasoning_content ?? '').join('');
    expect(text).toBe(message.reasoning_content);
    // The reasoning streams before the answer's first text.
    const firstReasoning = deltas.findIndex((d) => typeof d.reasoning_content === 'string');
    const firstText = deltas.findIndex((d) => typeof d.content === 'string' && d.content !== '');
    expect(firstReasoning).toBeGreaterThan(-1);
    expect(firstReasoning).toBeLessThan(firstText);
    // A model that does not reason returns none.
    const plainBody = { model: 'plain', messages: [{ role: 'user', content: ask }] };
    const reply = (await post('/v1/chat/completions', plainBody)).json() as Json;
    expect((reply.choices as Json[])[0]!.message).not.toHaveProperty('reasoning_content');
  });
});

describe('a simulated reasoning model on /v1/messages', () => {
  it('a thinking block first when thinking is asked, JSON and streamed', async () => {
    const reply = (await post('/v1/messages', messages('thinker'))).json() as Json;
    const content = reply.content as Json[];
    expect(content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect(content[0]!.thinking).toMatch(/^Simulated reasoning: /);

    const streamed = events(
      (await post('/v1/messages', messages('thinker', { stream: true }))).body,
    );
    const starts = streamed.filter((e) => e.type === 'content_block_start');
    expect(starts.map((e) => (e.content_block as Json).type)).toEqual(['thinking', 'text']);
    const thought = streamed
      .filter((e) => e.type === 'content_block_delta' && e.index === 0)
      .map((e) => (e.delta as Json).thinking)
      .join('');
    expect(thought).toBe(content[0]!.thinking);
    // None without thinking asked, nor from a model with no reasoning tokens.
    const unasked = (
      await post('/v1/messages', messages('thinker', { thinking: undefined }))
    ).json() as Json;
    expect((unasked.content as Json[]).map((b) => b.type)).toEqual(['text']);
    const quiet = (await post('/v1/messages', messages('quiet'))).json() as Json;
    expect((quiet.content as Json[]).map((b) => b.type)).toEqual(['text']);
  });
});

describe('a simulated reasoning model on /v1/responses', () => {
  it('a reasoning item with an empty summary before the message, JSON and streamed', async () => {
    const created = (await post('/v1/responses', { model: 'thinker', input: ask })).json() as Json;
    const output = created.output as Json[];
    expect(output.map((i) => i.type)).toEqual(['reasoning', 'message']);
    expect(output[0]).toMatchObject({ summary: [] });
    expect((output[0]!.content as Json[])[0]).toMatchObject({
      type: 'reasoning_text',
      text: expect.stringMatching(/^Simulated reasoning: /),
    });
    expect(created.usage).toMatchObject({ output_tokens_details: { reasoning_tokens: 12 } });

    const streamed = events(
      (await post('/v1/responses', { model: 'thinker', input: ask, stream: true })).body,
    );
    const done = streamed.find((e) => e.type === 'response.completed')!.response as Json;
    expect((done.output as Json[]).map((i) => i.type)).toEqual(['reasoning', 'message']);
    // None from a model that does not reason.
    const plain = (await post('/v1/responses', { model: 'plain', input: ask })).json() as Json;
    expect((plain.output as Json[]).map((i) => i.type)).toEqual(['message']);
  });
});
