// /v1/moderations through the app: OpenAI's result shape for a string, an array and a
// multi-modal input, the default model, failover within a pool, a simulated model's own flag
// words, and an OpenAI-format upstream. Refusals: moderations-errors.test.ts; governance and the
// content filter's plug-in: moderations-governance.test.ts.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../config/deployment-schema.js';
import { MODERATION_CATEGORIES } from '../core/moderation-input.js';
import { createOpenAiAdapter } from '../providers/openai/openai-adapter.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import { simModerationDeployment } from '../../test/helpers/test-config.js';
import {
  moderationPost as post,
  moderationsApp as setup,
} from '../../test/helpers/moderations-app.js';

type Result = {
  flagged: boolean;
  categories: Record<string, boolean>;
  category_scores: Record<string, number>;
  category_applied_input_types: Record<string, string[]>;
};
const flaggedOf = (r: Result) =>
  Object.entries(r.categories)
    .filter(([, v]) => v)
    .map(([k]) => k)
    .sort();

describe('moderations (/v1/moderations)', () => {
  it("classifies a string in OpenAI's full result shape, served by the model named, recorded at no cost", async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'I want to kill them.' }),
    );
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.id).toMatch(/^modr-/);
    expect(body.model).toBe('omni-moderation-latest');
    expect(body.results).toHaveLength(1);
    const res = body.results[0] as Result;
    expect(res.flagged).toBe(true);
    // OpenAI's own example flags these three for this sentence.
    expect(flaggedOf(res)).toEqual(['harassment', 'harassment/threatening', 'violence']);
    for (const part of [res.categories, res.category_scores, res.category_applied_input_types])
      expect(Object.keys(part).sort()).toEqual([...MODERATION_CATEGORIES].sort());
    expect(res.category_scores.violence).toBeGreaterThanOrEqual(0.5);
    expect(res.category_scores.sexual).toBeLessThan(0.01);
    expect(res.category_applied_input_types.violence).toEqual(['text']);
    expect(r.headers['x-router-deployment']).toBe('omni-moderation-latest');
    expect(r.headers['x-router-attempts']).toBe('1');
    const rec = t.records.at(-1)!;
    expect(rec).toMatchObject({
      endpoint: 'moderations',
      deployment: 'omni-moderation-latest',
      servedModel: 'omni-moderation-latest',
      status: 200,
      costUsd: 0,
      baselineCostUsd: 0,
    });
    expect(rec.promptTokens).toBe(Math.ceil('I want to kill them.'.length / 4));
    // Moderation replies report no usage: the tokens are the router's estimate, and say so.
    expect(rec.usageEstimated).toBe(true);
    // The same text gets the same scores: the simulated model is deterministic.
    const again = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'I want to kill them.' }),
    );
    expect(again.json().results).toEqual(body.results);
  });

  it('answers an array of strings with one result each, in order', async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: ['Have a lovely day.', 'You worthless idiot.', 'How do I shoplift a watch?'],
      }),
    );
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Result[];
    expect(results.map((x) => x.flagged)).toEqual([false, true, true]);
    expect(flaggedOf(results[1]!)).toEqual(['harassment']);
    expect(flaggedOf(results[2]!)).toEqual(['illicit']);
    // A word inside another word is not the word: "skill" is not "kill".
    const skill = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'Practise the skill daily.' }),
    );
    expect(skill.json().results[0].flagged).toBe(false);
  });

  it('reads a multi-modal array as one input: text and images, with the input types each category applied to', async () => {
    const t = await setup();
    const r = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: [
          { type: 'text', text: 'What is in this picture?' },
          { type: 'image_url', image_url: { url: 'https://example.com/graphic-violence.png' } },
        ],
      }),
    );
    expect(r.statusCode).toBe(200);
    const results = r.json().results as Result[];
    expect(results).toHaveLength(1);
    expect(flaggedOf(results[0]!)).toEqual(['violence', 'violence/graphic']);
    // A parent category scores at least what its flagged subcategory does.
    const scores = results[0]!.category_scores;
    expect(scores.violence).toBeGreaterThanOrEqual(scores['violence/graphic']!);
    const applied = results[0]!.category_applied_input_types;
    expect(applied['violence/graphic']).toEqual(['text', 'image']);
    expect(applied.sexual).toEqual(['text', 'image']);
    expect(applied.hate).toEqual(['text']);
    const imageOnly = await t.app.inject(
      post({
        model: 'omni-moderation-latest',
        input: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }],
      }),
    );
    const only = imageOnly.json().results[0] as Result;
    expect(only.flagged).toBe(false);
    expect(only.category_applied_input_types.hate).toEqual([]);
    expect(only.category_applied_input_types.violence).toEqual(['image']);
    // A text-only model refuses images, saying which part and what to send instead.
    const noImages = await t.app.inject(
      post({
        model: 'text-mod',
        input: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
      }),
    );
    expect(noImages.statusCode).toBe(400);
    expect(noImages.json().error).toMatchObject({ param: 'input', code: 'model_not_vision' });
    expect(t.sent['text-mod']).toEqual([]);
  });

  it('serves the configured default model when the request names none (omni-moderation-latest unless set)', async () => {
    const t = await setup();
    const r = await t.app.inject(post({ input: 'hello' }));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-router-deployment']).toBe('omni-moderation-latest');
    const pooled = await setup({
      moderations: { defaultModel: 'mods' },
      pools: [{ name: 'mods', deployments: ['text-mod'], strategy: 'priority' }],
    });
    const viaPool = await pooled.app.inject(post({ input: 'hello' }));
    expect(viaPool.statusCode).toBe(200);
    expect(viaPool.headers['x-router-deployment']).toBe('text-mod');
    expect(pooled.records.at(-1)).toMatchObject({ router: 'mods', deployment: 'text-mod' });
    // Another path for clients whose base URL is Azure's v1.
    const v1 = await t.app.inject(post({ input: 'hello' }, '/openai/v1/moderations'));
    expect(v1.statusCode).toBe(200);
  });

  it('fails over within a pool before answering, and the breaker then skips the failing member', async () => {
    const t = await setup(
      { pools: [{ name: 'mods', deployments: ['mod-down', 'mod-up'], strategy: 'priority' }] },
      [
        simModerationDeployment('mod-down', {
          simulation: { failure: { kind: '500', rate: 1 } },
        }),
        simModerationDeployment('mod-up'),
      ],
      { breaker: { failureThreshold: 2, windowMs: 60_000, openMs: 60_000 } },
    );
    const first = await t.app.inject(post({ model: 'mods', input: 'I will kill you' }));
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-router-deployment']).toBe('mod-up');
    expect(first.headers['x-router-attempts']).toBe('2');
    expect(first.json().results[0].flagged).toBe(true);
    expect(t.records.at(-1)!.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod-down', 'error'],
      ['mod-up', 'ok'],
    ]);
    await t.app.inject(post({ model: 'mods', input: 'second' }));
    // Two failures opened mod-down's circuit: the third request goes straight to mod-up.
    const third = await t.app.inject(post({ model: 'mods', input: 'third' }));
    expect(third.headers['x-router-attempts']).toBe('1');
    expect(t.records.at(-1)!.attempts.map((a) => a.deployment)).toEqual(['mod-up']);
    // Called by its own name, a member whose circuit is open is refused with a 503, recorded.
    const alone = await t.app.inject(post({ model: 'mod-down', input: 'x' }));
    expect(alone.statusCode).toBe(503);
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'moderations', status: 503 });
  });

  it('a simulated model with its own flagWords flags those words instead of the built-in ones', async () => {
    const t = await setup({}, [
      simModerationDeployment('strict', {
        simulation: { flagWords: { hate: ['pineapple pizza'] } },
      }),
    ]);
    const r = await t.app.inject(
      post({ model: 'strict', input: ['Pineapple pizza is great', 'kill', 'flag:sexual'] }),
    );
    const results = r.json().results as Result[];
    expect(results.map(flaggedOf)).toEqual([['hate'], [], ['sexual']]);
  });
});

describe('OpenAI-format moderation upstreams', () => {
  it('POST {base}/moderations with the upstream model name and Bearer key, and read the results', async () => {
    const d = deploymentSchema.parse({
      name: 'mod',
      provider: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'omni-moderation-2024-09-26',
      kind: 'moderation',
      prices: { inputPer1M: 0, outputPer1M: 0 },
      contextWindow: 32_768,
      apiKeyEnv: 'K',
    });
    const reply = {
      id: 'modr-1',
      model: 'omni-moderation-2024-09-26',
      results: [{ flagged: false, categories: {}, category_scores: {} }],
    };
    const { http, sent } = recordingHttp(JSON.stringify(reply));
    const out = await createOpenAiAdapter(d, http, { K: 'secret' }).moderate!({
      deployment: d,
      body: { model: d.model, input: ['a', 'b'] },
      signal: new AbortController().signal,
      requestId: 'r',
    });
    expect(sent[0]!.url).toBe('http://127.0.0.1:9/v1/moderations');
    expect(sent[0]!.headers.authorization).toBe('Bearer secret');
    expect(JSON.parse(sent[0]!.body)).toEqual({
      model: 'omni-moderation-2024-09-26',
      input: ['a', 'b'],
    });
    expect(out.response).toEqual(reply);
    const { http: bad } = recordingHttp('{"object":"list"}');
    await expect(
      createOpenAiAdapter(d, bad, {}).moderate!({
        deployment: d,
        body: { model: d.model, input: 'a' },
        signal: new AbortController().signal,
        requestId: 'r',
      }),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_malformed_response' });
  });
});
