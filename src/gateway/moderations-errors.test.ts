// /v1/moderations refusals: what to fix in OpenAI's error shape with its param, a key's scope,
// and configs that put a moderation model where it cannot serve.
import { describe, expect, it } from 'vitest';
import { parseConfig, type ConfigError } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { simModerationDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import {
  moderationPost as post,
  moderationsApp as setup,
} from '../../test/helpers/moderations-app.js';

describe('moderations (/v1/moderations)', () => {
  it('says what to fix, in OpenAI error shape with param', async () => {
    const t = await setup();
    const cases: [unknown, number, string | null, string?][] = [
      [{ model: 'omni-moderation-latest' }, 400, 'input'],
      [{ input: 5 }, 400, 'input'],
      [{ input: [] }, 400, 'input'],
      [{ input: ['ok', 7] }, 400, 'input'],
      [{ input: ['ok', { type: 'text', text: 'mixed' }] }, 400, 'input'],
      [{ input: [{ type: 'audio', audio: 'x' }] }, 400, 'input[0].type'],
      [{ input: [{ type: 'text' }] }, 400, 'input[0].text'],
      [
        { input: [{ type: 'text', text: 'a' }, { type: 'image_url' }] },
        400,
        'input[1].image_url.url',
      ],
      [
        { input: [{ type: 'image_url', image_url: { url: 'not a url' } }] },
        400,
        'input[0].image_url.url',
      ],
      [{ input: 'x', model: 7 }, 400, 'model'],
      [{ input: 'x', model: 'model-router' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'big' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'embed' }, 400, 'model', 'model_not_moderation'],
      [{ input: 'x', model: 'nope' }, 404, 'model'],
    ];
    for (const [payload, status, param, code] of cases) {
      const r = await t.app.inject(post(payload));
      expect([JSON.stringify(payload), r.statusCode]).toEqual([JSON.stringify(payload), status]);
      const error = r.json().error;
      expect([JSON.stringify(payload), error.param]).toEqual([JSON.stringify(payload), param]);
      expect(typeof error.message).toBe('string');
      if (code) expect(error.code).toBe(code);
    }
    const notJson = await t.app.inject({ ...post({}), payload: '[1]' });
    expect(notJson.statusCode).toBe(400);
    // A chat request naming a moderation model is told where to send it.
    const chat = await t.app.inject(
      post(
        { model: 'omni-moderation-latest', messages: [{ role: 'user', content: 'hi' }] },
        '/v1/chat/completions',
      ),
    );
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error).toMatchObject({ code: 'model_not_chat', param: 'model' });
    expect(chat.json().error.message).toContain('POST /v1/moderations');
    // An embeddings request naming one too.
    const emb = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'x' }, '/v1/embeddings'),
    );
    expect(emb.statusCode).toBe(400);
    expect(emb.json().error.message).toContain('POST /v1/moderations');
    // With no model named and no deployment of the default name: 400 on model.
    const none = await buildTestApp(parseConfig(testConfigInput(), {}).config, {});
    const missing = await none.app.inject(post({ input: 'x' }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.param).toBe('model');
    expect(missing.json().error.message).toContain('omni-moderation-latest');
  });

  it('keeps to the key’s scope: a key for the router alone is refused, one for the model served', async () => {
    const t = await setup();
    const refused = await t.app.inject(post({ input: 'x' }, undefined, 'model-router'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('omni-moderation-latest');
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'moderations', status: 403 });
    const allowed = await t.app.inject(
      post({ model: 'omni-moderation-latest', input: 'x' }, undefined, 'omni-moderation-latest'),
    );
    expect(allowed.statusCode).toBe(200);
    expect(t.sent['omni-moderation-latest']).toHaveLength(1);
  });

  it('refuses configs that put a moderation model where it cannot serve', () => {
    const bad = (input: ConfigInput) => {
      try {
        parseConfig(input, {});
        return '';
      } catch (err) {
        return (err as ConfigError).issues.join('\n');
      }
    };
    const base = testConfigInput();
    const mod = simModerationDeployment('mod');
    expect(
      bad({
        ...base,
        deployments: [
          ...base.deployments,
          { ...mod, provider: 'azure', baseUrl: 'https://r.openai.azure.com', apiVersion: 'v1' },
        ],
      }),
    ).toMatch(/deployments\[3\]\.kind: provider "azure" has no moderation API/);
    expect(
      bad({ ...base, deployments: [...base.deployments, { ...mod, provider: 'anthropic' }] }),
    ).toMatch(/provider "anthropic" has no moderation API/);
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, mod],
        routers: [{ name: 'r', modelSubset: ['big', 'mod'] }],
      }),
    ).toMatch(
      /routers\[0\]\.modelSubset\[1\]: "mod" is a moderation deployment.*\/v1\/moderations/,
    );
    expect(
      bad({
        ...base,
        deployments: [...base.deployments, mod],
        pools: [{ name: 'p', deployments: ['big', 'mod'] }],
      }),
    ).toMatch(/pools\[0\]\.deployments: mixes chat and moderation deployments/);
    expect(bad({ ...base, moderations: { defaultModel: 'big' } })).toMatch(
      /moderations\.defaultModel: "big" is not a moderation deployment/,
    );
    expect(
      bad({
        ...base,
        deployments: [
          ...base.deployments,
          simModerationDeployment('m2', { simulation: { flagWords: { violent: ['x'] } } }),
        ],
      }),
    ).toMatch(/simulation\.flagWords\.violent: not a moderation category/);
    expect(bad({ ...base, deployments: [...base.deployments, mod] })).toBe('');
  });
});
