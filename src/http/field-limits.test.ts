// The limits openapi.yaml sets on fields the router passes on or echoes (field-limits.ts), and
// `stop: []` (`StopConfiguration`: minItems 1): a 400 before routing, with OpenAI's `param`, on
// Chat Completions, Azure's dated path, legacy Completions and the Responses API; values at the
// limits are served. Anthropic takes an empty `stop_sequences`: served, and no `stop` is sent on.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

async function app() {
  const upstream = fakeAdapter('small', [{ reply: 'ok' }]);
  const t = await buildTestApp(
    testConfig(),
    { big: upstream, mid: upstream, small: upstream },
    { responses: createResponseStore(100) },
  );
  return { ...t, upstream };
}

const ask = [{ role: 'user', content: 'hi' }];
const pairs = (n: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

/** Each bad field, the param named and OpenAI's code. */
const CHAT_CASES: [Json, string, string][] = [
  [{ safety_identifier: 's'.repeat(65) }, 'safety_identifier', 'string_above_max_length'],
  [{ metadata: pairs(17) }, 'metadata', 'invalid_value'],
  [{ metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata', 'invalid_value'],
  [{ metadata: { note: 'x'.repeat(513) } }, 'metadata.note', 'invalid_value'],
  [{ metadata: { n: 5 } }, 'metadata.n', 'invalid_type'],
  [{ metadata: 'team' }, 'metadata', 'invalid_type'],
  [{ logit_bias: { '50256': 101 } }, 'logit_bias.50256', 'invalid_value'],
  [{ logit_bias: { '50256': -100.5 } }, 'logit_bias.50256', 'invalid_value'],
  [{ logit_bias: { hello: 1 } }, 'logit_bias', 'invalid_value'],
  [{ logit_bias: [1] }, 'logit_bias', 'invalid_type'],
  [{ verbosity: 'loud' }, 'verbosity', 'invalid_value'],
  [{ service_tier: 1 }, 'service_tier', 'invalid_type'],
  [{ stop: [] }, 'stop', 'empty_array'],
];

describe('field limits', () => {
  it('chat and Azure: each limit broken is a 400 naming the field, nothing routed', async () => {
    const t = await app();
    for (const url of [
      '/v1/chat/completions',
      '/openai/deployments/small/chat/completions?api-version=2024-10-21',
    ])
      for (const [extra, param, code] of CHAT_CASES) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          payload: { model: 'small', messages: ask, ...extra },
        });
        expect(res.statusCode, `${url} ${JSON.stringify(extra).slice(0, 60)}`).toBe(400);
        expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param, code });
        expect(res.json().error.message).toMatch(new RegExp(param.split('.')[0]!));
      }
    expect(t.upstream.calls).toHaveLength(0);
    await t.app.close();
  });

  it('legacy completions: stop: [] is refused', async () => {
    const t = await app();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/completions',
      payload: { model: 'small', prompt: 'Count', stop: [] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ param: 'stop', code: 'empty_array' });
    await t.app.close();
  });

  it('Responses: safety_identifier and metadata', async () => {
    const t = await app();
    const cases = CHAT_CASES.filter(([e]) => 'safety_identifier' in e || 'metadata' in e);
    for (const [extra, param, code] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'small', input: 'hi', ...extra },
      });
      expect(res.statusCode, JSON.stringify(extra).slice(0, 60)).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request_error', param, code });
    }
    expect(t.upstream.calls).toHaveLength(0);
    await t.app.close();
  });

  it('values at the limits are served, and the passed-on ones sent as they came', async () => {
    const t = await app();
    const atLimits = {
      safety_identifier: 's'.repeat(64),
      metadata: { ...pairs(15), ['k'.repeat(64)]: 'x'.repeat(512) },
      logit_bias: { '50256': -100, '11': 100 },
      verbosity: 'low',
      service_tier: 'flex',
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'small', messages: ask, ...atLimits },
    });
    expect(res.statusCode, res.body).toBe(200);
    // (metadata is the router's tags, gateway/attribution.ts: not compared here.)
    const { metadata: _tags, ...passed } = atLimits;
    void _tags;
    expect(t.upstream.calls[0]!.body).toMatchObject(passed);
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: {
        model: 'small',
        input: 'hi',
        safety_identifier: 's'.repeat(64),
        metadata: pairs(16),
      },
    });
    expect(r.statusCode, r.body).toBe(200);
    await t.app.close();
  });

  it('Messages: an empty stop_sequences is served, and no stop goes upstream', async () => {
    const t = await app();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/messages',
      payload: { model: 'small', max_tokens: 64, messages: ask, stop_sequences: [] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(t.upstream.calls[0]!.body).not.toHaveProperty('stop');
    await t.app.close();
  });
});
