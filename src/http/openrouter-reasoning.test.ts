// OpenRouter's `reasoning` object on Chat Completions: `effort`, `max_tokens` (Claude's exact
// thinking budget, an effort for others), `enabled`, as the router's own reasoning fields, so
// routing keeps to models that reason and no upstream gets the field; `exclude` named as not
// applied; a malformed one a 400 naming the field.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import { THINKING_BUDGET_FIELD } from '../core/wire-types.js';
import { applyOpenRouterReasoning } from './openrouter-reasoning.js';
import { parseChatRequest } from './parse-chat-request.js';

type Json = Record<string, unknown>;

const chat = (extra: Json) =>
  parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra }) as Json;

describe('applyOpenRouterReasoning', () => {
  it('maps effort, max_tokens and enabled, and removes the field', () => {
    expect(chat({ reasoning: { effort: 'high' } })).toMatchObject({ reasoning_effort: 'high' });
    const budget = chat({ reasoning: { max_tokens: 5000 } });
    expect(budget).toMatchObject({ reasoning_effort: 'medium', [THINKING_BUDGET_FIELD]: 5000 });
    expect(chat({ reasoning: { max_tokens: 20_000 } }).reasoning_effort).toBe('high');
    expect(chat({ reasoning: { enabled: true } }).reasoning_effort).toBe('medium');
    const off = chat({ reasoning: { enabled: false, max_tokens: 5000 } });
    expect(off.reasoning_effort).toBeUndefined();
    expect(off[THINKING_BUDGET_FIELD]).toBeUndefined();
    for (const body of [budget, off, chat({ reasoning: null })])
      expect(body).not.toHaveProperty('reasoning');
    // The same effort both ways is fine.
    expect(chat({ reasoning: { effort: 'low' }, reasoning_effort: 'low' }).reasoning_effort).toBe(
      'low',
    );
  });

  it('400s what is malformed or contradictory, naming the field', () => {
    const cases: [unknown, string][] = [
      ['high', 'reasoning'],
      [{ effort: 'huge' }, 'reasoning.effort'],
      [{ max_tokens: 0 }, 'reasoning.max_tokens'],
      [{ max_tokens: 1.5 }, 'reasoning.max_tokens'],
      [{ effort: 'high', max_tokens: 100 }, 'reasoning.max_tokens'],
      [{ exclude: 'yes' }, 'reasoning.exclude'],
      [{ enabled: 1 }, 'reasoning.enabled'],
    ];
    for (const [reasoning, param] of cases)
      expect(() => applyOpenRouterReasoning({ reasoning }), JSON.stringify(reasoning)).toThrow(
        expect.objectContaining({ status: 400, param }),
      );
    expect(() => chat({ reasoning: { effort: 'high' }, reasoning_effort: 'low' })).toThrow(
      expect.objectContaining({ param: 'reasoning' }),
    );
  });
});

describe('reasoning on POST /v1/chat/completions', () => {
  const apps: { app: { close(): Promise<unknown> } }[] = [];
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.app.close();
  });

  async function setup(thinker: Step[] = [{ reply: 'ok' }], cache = false) {
    const config = testConfig({
      ...(cache ? { cache: { enabled: true, ttlSeconds: 60 } } : {}),
      deployments: [
        simDeployment('plain', { prices: { inputPer1M: 0.1, outputPer1M: 0.4 } }),
        simDeployment('thinker', {
          capabilities: { tools: true, streaming: true, reasoning: true },
        }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['plain', 'thinker'] }],
    });
    const adapters = {
      plain: fakeAdapter('plain', [{ reply: 'ok' }]),
      thinker: fakeAdapter('thinker', thinker),
    };
    const t = await buildTestApp(config, adapters);
    apps.push(t);
    const post = (extra: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hi' }], ...extra },
      });
    return { ...t, adapters, post };
  }

  it('routes to a model that reasons, which gets reasoning_effort and no reasoning field', async () => {
    const t = await setup();
    const res = await t.post({ reasoning: { effort: 'high' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('thinker');
    const body = t.adapters.thinker.calls[0]!.body as unknown as Json;
    expect(body.reasoning_effort).toBe('high');
    expect(body).not.toHaveProperty('reasoning');
    expect(body).not.toHaveProperty(THINKING_BUDGET_FIELD);
  });

  it('exclude: the answer comes without its reasoning, JSON and streamed; without it, with', async () => {
    const think = { thinking: 'Let me think about greetings.', signature: 'sig' };
    const t = await setup([{ reply: 'Hello.', think }]);
    const post = (extra: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'thinker', messages: [{ role: 'user', content: 'hi' }], ...extra },
      });
    const kept = await post({ reasoning: { effort: 'low' } });
    expect(kept.json().choices[0].message.reasoning_details).toHaveLength(1);
    const json = await post({ reasoning: { effort: 'low', exclude: true } });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.json().choices[0].message).not.toHaveProperty('reasoning_details');
    expect(json.json().choices[0].message.content).toBe('Hello.');
    expect(json.json().usage.completion_tokens_details.reasoning_tokens).toBe(2);
    const streamed = await post({ reasoning: { max_tokens: 2000, exclude: true }, stream: true });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).not.toContain('reasoning_details');
    expect(streamed.body).not.toContain('greetings');
    expect(streamed.body).toContain('Hello');
    const withIt = await post({ reasoning: { max_tokens: 2000 }, stream: true });
    expect(withIt.body).toContain('greetings');
    expect(t.adapters.thinker.calls.every((c) => !('x_reasoning_exclude' in c.body))).toBe(true);
  });

  it('exclude: an answer from the answer cache comes without its reasoning too', async () => {
    const think = { thinking: 'Let me think about greetings.', signature: 'sig' };
    const t = await setup([{ reply: 'Hello.', think }], true);
    const post = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'thinker',
          messages: [{ role: 'user', content: 'hi' }],
          reasoning: { effort: 'low', exclude: true },
        },
      });
    const first = await post();
    const again = await post();
    expect(again.headers['x-router-cache']).toBe('hit');
    for (const res of [first, again]) {
      expect(res.json().choices[0].message.content).toBe('Hello.');
      expect(res.json().choices[0].message).not.toHaveProperty('reasoning_details');
    }
    expect(t.adapters.thinker.calls).toHaveLength(1);
  });

  it('on legacy completions too', async () => {
    const t = await setup();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: { model: 'model-router', prompt: 'hi', reasoning: { effort: 'high' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-router-deployment']).toBe('thinker');
    expect(t.adapters.thinker.calls[0]!.body).not.toHaveProperty('reasoning');
  });

  it('a malformed reasoning is a 400 naming the field', async () => {
    const t = await setup();
    const bad = await t.post({ reasoning: { effort: 'extreme' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({
      type: 'invalid_request_error',
      param: 'reasoning.effort',
    });
  });
});
