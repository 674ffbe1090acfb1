// `POST /v1/responses/input_tokens`: the same checks as `POST /v1/responses`, the router's count
// of the request as bridged to chat (or a native upstream's own), the stored conversation of
// `previous_response_id` counted for its tenant only, and nothing routed or logged.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { testConfig, nativeCodexDeployment } from '../../../test/helpers/test-config.js';
import { countPromptTokens } from '../../core/prompt-text.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { createResponseStore } from '../../store/response-store.js';
import { responsesToChat } from './responses-convert.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

type Json = Record<string, unknown>;

async function setup() {
  const script = [{ reply: 'Paris is the capital of France.' }];
  const adapters = {
    big: fakeAdapter('big', script),
    mid: fakeAdapter('mid', script),
    small: fakeAdapter('small', script),
  };
  const t = await buildTestApp(testConfig(), adapters, {
    authenticator: tenants,
    responses: createResponseStore(),
  });
  const count = (payload: Json, tenant = 'team-a', url = '/v1/responses/input_tokens') =>
    t.app.inject({ method: 'POST', url, headers: as(tenant), payload });
  return { ...t, adapters, count };
}

const weather = {
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('POST /v1/responses/input_tokens', () => {
  it("answers the router's count of the request as bridged to chat, and neither routes nor logs", async () => {
    const t = await setup();
    const body = {
      model: 'model-router',
      instructions: 'You answer in French.',
      input: [{ role: 'user', content: 'What is the weather in Lyon?' }],
      tools: [weather],
    };
    const res = await t.count(body);
    expect(res.statusCode).toBe(200);
    const expected = await countPromptTokens(responsesToChat(body, undefined).chat);
    expect(res.json()).toEqual({ object: 'response.input_tokens', input_tokens: expected });
    expect(res.headers['x-router-counted-by']).toBe('router');
    // Tools and instructions count: the same input alone is smaller by more than their text.
    const bare = await t.count({ model: 'model-router', input: 'What is the weather in Lyon?' });
    expect(bare.json().input_tokens).toBeLessThan(expected - 30);
    // The same on /openai/v1, and for a deployment by name.
    const azure = await t.count(body, 'team-a', '/openai/v1/responses/input_tokens');
    expect(azure.json().input_tokens).toBe(expected);
    expect((await t.count({ ...body, model: 'big' })).json().input_tokens).toBe(expected);
    expect(t.records).toHaveLength(0);
    for (const a of Object.values(t.adapters)) expect(a.calls).toHaveLength(0);
  });

  it('refuses what POST /v1/responses refuses, with the same 400s', async () => {
    const t = await setup();
    const cases: [Json, string][] = [
      [{ input: 'hi' }, 'model'],
      [{ model: 'model-router' }, 'input'],
      [{ model: 'model-router', input: 'hi', stream: 'yes' }, 'stream'],
      [
        { model: 'model-router', input: 'hi', conversation: 'conv_1', previous_response_id: 'r' },
        'conversation',
      ],
      [
        { model: 'model-router', input: 'hi', text: { format: { type: 'yaml' } } },
        'text.format.type',
      ],
      [
        {
          model: 'model-router',
          input: 'hi',
          tools: [weather],
          tool_choice: { type: 'function', name: 'nope' },
        },
        'tool_choice',
      ],
      [
        { model: 'model-router', input: [{ type: 'function_call', name: 'f' }] },
        'input[0].call_id',
      ],
    ];
    for (const [payload, param] of cases) {
      const counted = await t.count(payload);
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        headers: as('team-a'),
        payload,
      });
      expect(counted.statusCode, param).toBe(400);
      expect(counted.json().error.param, param).toBe(param);
      expect(counted.json().error).toEqual(created.json().error);
    }
    const unknown = await t.count({ model: 'nope', input: 'hi' });
    expect(unknown.statusCode).toBe(404);
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/v1/responses/input_tokens',
      payload: { model: 'model-router', input: 'hi' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it("counts a conversation's items, for its own tenant only, and leaves it free for the next turn", async () => {
    const t = await setup();
    const post = (url: string, payload: Json, tenant = 'team-a') =>
      t.app.inject({ method: 'POST', url, headers: as(tenant), payload });
    const conv = await post('/v1/conversations', {
      items: [
        { type: 'message', role: 'user', content: 'What is the capital of France?' },
        { type: 'message', role: 'assistant', content: 'Paris is the capital of France.' },
      ],
    });
    expect(conv.statusCode).toBe(200);
    const id = conv.json().id as string;
    const next = { model: 'model-router', conversation: id, input: 'And of Italy?' };
    const res = await t.count(next);
    expect(res.statusCode).toBe(200);
    const history = {
      model: 'model-router',
      input: [
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'Paris is the capital of France.' },
        { role: 'user', content: 'And of Italy?' },
      ],
    };
    expect(res.json().input_tokens).toBe((await t.count(history)).json().input_tokens);
    // The conversation alone, with no new input.
    expect((await t.count({ model: 'model-router', conversation: id })).statusCode).toBe(200);
    // Another tenant's conversation is not found.
    expect((await t.count(next, 'team-b')).statusCode).toBe(404);
    // A count takes no lock: the next turn on the conversation runs.
    expect((await post('/v1/responses', next)).statusCode).toBe(200);
    expect(t.records).toHaveLength(1);
  });

  it('counts the stored conversation of previous_response_id, for its own tenant only', async () => {
    const t = await setup();
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: as('team-a'),
      payload: { model: 'model-router', input: 'What is the capital of France?' },
    });
    expect(first.statusCode).toBe(200);
    const id = first.json().id as string;
    const next = { model: 'model-router', previous_response_id: id, input: 'And of Italy?' };
    const res = await t.count(next);
    expect(res.statusCode).toBe(200);
    const history = {
      model: 'model-router',
      input: [
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'Paris is the capital of France.' },
        { role: 'user', content: 'And of Italy?' },
      ],
    };
    expect(res.json().input_tokens).toBe(
      await countPromptTokens(responsesToChat(history, undefined).chat),
    );
    // previous_response_id alone counts the stored conversation.
    const stored = await t.count({ model: 'model-router', previous_response_id: id });
    expect(stored.json().input_tokens).toBe(
      await countPromptTokens(
        responsesToChat({ ...history, input: history.input.slice(0, 2) }, undefined).chat,
      ),
    );
    const theirs = await t.count(next, 'team-b');
    expect(theirs.statusCode).toBe(400);
    expect(theirs.json().error.code).toBe('previous_response_not_found');
  });
});

describe('input_tokens on a deployment that speaks Responses natively', () => {
  async function nativeSetup(answer: { status?: number; body: unknown }) {
    const config = testConfig({
      deployments: [nativeCodexDeployment()],
      routers: [],
    });
    const { http, sent } = scriptedHttp(() => answer);
    const t = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore() },
    );
    return { ...t, sent };
  }

  it("asks the upstream's /responses/input_tokens with the request as it would be sent", async () => {
    const t = await nativeSetup({ body: { object: 'response.input_tokens', input_tokens: 4242 } });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/responses/input_tokens',
      payload: {
        model: 'codex',
        instructions: 'Be brief.',
        input: 'Tell me a joke.',
        tools: [weather],
        stream: true,
        metadata: { a: 'b' },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ object: 'response.input_tokens', input_tokens: 4242 });
    expect(res.headers['x-router-counted-by']).toBe('codex');
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]!.url).toBe('http://127.0.0.1:9/v1/responses/input_tokens');
    // Only the fields the count takes (TokenCountsBody): no stream, store or metadata.
    expect(JSON.parse(t.sent[0]!.body)).toEqual({
      model: 'gpt-5.1-codex',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'Tell me a joke.' }],
      tools: [weather],
    });
    expect(t.records).toHaveLength(0);
  });

  it('counts itself, with a warning, when the upstream cannot', async () => {
    const t = await nativeSetup({ status: 404, body: { error: { message: 'no such path' } } });
    const body = { model: 'codex', input: 'Tell me a joke.' };
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/responses/input_tokens',
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().input_tokens).toBe(
      await countPromptTokens(responsesToChat(body, undefined).chat),
    );
    expect(res.headers['x-router-counted-by']).toBe('router');
    expect(res.headers['x-router-warnings']).toMatch(/codex could not count/);
  });
});
