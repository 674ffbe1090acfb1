// An answer-cache hit for a request with OpenRouter's `reasoning.exclude`: the kept answer's
// tokens are counted as the live request counted them, reasoning included (the upstream wrote it
// and billed it, shown or not). Before, a hit whose kept answer came without usage estimated its
// tokens from the answer after its reasoning was taken out, and recorded fewer than the miss did.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import type { ChatResponse } from '../core/wire-types.js';

const REASONING = 'Let me think about how to greet someone politely and briefly. '.repeat(8);

describe('a cache hit with reasoning.exclude', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.app.close();
    t = undefined;
  });

  it('records the tokens the miss recorded, the excluded reasoning included', async () => {
    const config = testConfig({
      cache: { enabled: true, ttlSeconds: 60 },
      deployments: [
        simDeployment('thinker', {
          capabilities: { tools: true, streaming: true, reasoning: true },
        }),
      ],
      routers: [{ name: 'model-router', modelSubset: ['thinker'] }],
    });
    // A DeepSeek-style server: reasoning text beside the answer, and no usage in the reply.
    const base = fakeAdapter('thinker', [{ reply: 'Hello.' }]);
    const thinker = {
      ...base,
      async chat(req: Parameters<typeof base.chat>[0]) {
        const out = await base.chat(req);
        const response = out.response as ChatResponse;
        delete (response as { usage?: unknown }).usage;
        Object.assign(response.choices[0]!.message, { reasoning_content: REASONING });
        return out;
      },
    };
    t = await buildTestApp(config, { thinker });
    const post = () =>
      t!.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'thinker',
          messages: [{ role: 'user', content: 'hi' }],
          reasoning: { effort: 'low', exclude: true },
        },
      });
    const miss = await post();
    const hit = await post();
    expect(miss.headers['x-router-cache']).toBe('miss');
    expect(hit.headers['x-router-cache']).toBe('hit');
    expect(hit.json().choices[0].message).not.toHaveProperty('reasoning_content');
    expect(base.calls).toHaveLength(1);
    const [missRecord, hitRecord] = t.records;
    // 'Hello.' and the reasoning, ≈4 characters a token.
    const expected = Math.ceil(('Hello.'.length + REASONING.length) / 4);
    expect(missRecord!.completionTokens).toBe(expected);
    expect(hitRecord!.completionTokens).toBe(expected);
    expect(hitRecord!.usageEstimated).toBe(true);
    expect(hitRecord!.costUsd).toBe(0);
  });
});
