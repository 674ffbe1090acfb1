// An upstream's 400 for a prompt past its context window (OpenAI's and Azure's
// `context_length_exceeded`, Anthropic's "prompt is too long") through the whole router against
// the loopback fake (real HTTP), on Chat Completions, Azure's path (streamed), Messages and
// Responses: it fails over, only to a deployment with a larger window (one no larger is skipped,
// saying why, in the record and the receipt); with none left, the 400 reaches the caller in its
// API's shape. Any other 400 still stops at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { FAULT_APIS, HI, startFaultRouter } from '../helpers/fault-router.js';
import {
  faultDeployment,
  startFaultUpstream,
  type Fault,
  type FaultProvider,
  type FaultUpstream,
} from '../helpers/fault-upstream.js';

let up: FaultUpstream;
beforeAll(async () => {
  up = await startFaultUpstream(19240, 19259);
});
afterAll(() => up?.close());

/**
 * `short` (cheapest, picked first, of `provider`) and `same` share an 8K window; `long` (200K) is
 * dearest, so a failover by price alone would try `same` first.
 */
function startRouter(provider: FaultProvider) {
  return startFaultRouter(
    {
      deployments: [
        { ...faultDeployment(up, 'short', provider, 0.1), contextWindow: 8192 },
        { ...faultDeployment(up, 'same', 'azure', 0.2), contextWindow: 8192 },
        { ...faultDeployment(up, 'long', 'anthropic', 0.3), contextWindow: 200_000 },
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['short', 'same', 'long'] }],
    },
    { tmpPrefix: 'mr-overflow-' },
  );
}

/** The upstream's own context-length 400, as each vendor's docs show it. */
function tooLong(provider: FaultProvider): Fault {
  return {
    kind: 'error-body',
    status: 400,
    body:
      provider === 'anthropic'
        ? {
            type: 'error',
            error: {
              type: 'invalid_request_error',
              message: 'prompt is too long: 9120 tokens > 8192 maximum',
            },
          }
        : {
            error: {
              message:
                "This model's maximum context length is 8192 tokens. However, your messages resulted in 9120 tokens. Please reduce the length of the messages.",
              type: 'invalid_request_error',
              param: 'messages',
              code: 'context_length_exceeded',
            },
          },
  };
}

/** Another 400 of the same vendor, which must not fail over. */
function otherBadRequest(provider: FaultProvider): Fault {
  return {
    kind: 'error-body',
    status: 400,
    body:
      provider === 'anthropic'
        ? {
            type: 'error',
            error: { type: 'invalid_request_error', message: 'messages: roles must alternate' },
          }
        : {
            error: {
              message: "Invalid value for 'temperature'.",
              type: 'invalid_request_error',
              param: 'temperature',
              code: 'invalid_value',
            },
          },
  };
}

const APIS = FAULT_APIS.map((a) => ({
  name: a.name,
  url: a.url,
  body: a.body(a.name === 'azure'),
}));

type Attempt = { deployment: string; outcome: string; errorCode?: string };
const brief = (a: Attempt) => [a.deployment, a.outcome, a.errorCode];
const ALL = ['short', 'same', 'long'];

describe.each(['openai-compatible', 'azure', 'anthropic'] as const)(
  'the picked deployment is %s',
  (provider) => {
    it('a context-length 400 fails over to a larger window only, saying why', async () => {
      const { rt, records } = await startRouter(provider);
      up.fault('short', tooLong(provider));
      try {
        for (const api of APIS) {
          const before = ALL.map((d) => up.calls.get(d) ?? 0);
          const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
          expect(res.statusCode, `${api.name}: ${res.payload}`).toBe(200);
          expect(res.headers['x-router-deployment'], api.name).toBe('long');
          // `same` was never called: its window is no larger.
          expect(
            ALL.map((d, i) => (up.calls.get(d) ?? 0) - before[i]!),
            api.name,
          ).toEqual([1, 0, 1]);
          const want = [
            ['short', 'error', 'context_length_exceeded'],
            ['same', 'skipped', 'context_window_not_larger'],
            ['long', 'ok', undefined],
          ];
          const record = records.at(-1)!;
          expect(record.attempts.map(brief), api.name).toEqual(want);
          expect(record.attempts[1]!.errorMessage).toMatch(
            /context window \(8192 tokens\) is no larger than that of short \(8192\)/,
          );
          const receipt = (
            await rt.app.inject({
              url: `/v1/router/decisions/${res.headers['x-router-decision-id']}`,
            })
          ).json();
          expect(receipt.attempts.map(brief), api.name).toEqual(want);
          expect(receipt.servedBy).toBe('long');
        }
      } finally {
        up.fault('short', undefined);
        await rt.close();
      }
    });

    it('no larger window answers: the 400 reaches the caller in its API’s shape', async () => {
      const { rt, records } = await startRouter(provider);
      up.fault('short', tooLong(provider));
      up.fault('long', tooLong('anthropic'));
      try {
        for (const api of APIS) {
          const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
          expect(res.statusCode, `${api.name}: ${res.payload}`).toBe(400);
          const body = res.json();
          if (api.name === 'messages') {
            expect(body.type).toBe('error');
            expect(body.error.type).toBe('invalid_request_error');
            expect(body.error.message).toMatch(/^long: prompt is too long/);
          } else {
            expect(body.error.type, api.name).toBe('invalid_request_error');
            expect(body.error.code, api.name).toBe('context_length_exceeded');
          }
          const want = [
            ['short', 'error', 'context_length_exceeded'],
            ['same', 'skipped', 'context_window_not_larger'],
            ['long', 'error', 'context_length_exceeded'],
          ];
          expect(records.at(-1)!.attempts.map(brief), api.name).toEqual(want);
          // The receipt lists them as the record does (providers audit F3: it had none).
          const receipt = (
            await rt.app.inject({
              url: `/v1/router/decisions/${records.at(-1)!.decisionId}`,
            })
          ).json();
          expect(receipt.attempts.map(brief), api.name).toEqual(want);
        }
      } finally {
        up.fault('short', undefined);
        up.fault('long', undefined);
        await rt.close();
      }
    });

    it('any other 400 stops at once: nothing else is called', async () => {
      const { rt, records } = await startRouter(provider);
      up.fault('short', otherBadRequest(provider));
      try {
        for (const api of APIS) {
          const before = ALL.map((d) => up.calls.get(d) ?? 0);
          const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
          expect(res.statusCode, `${api.name}: ${res.payload}`).toBe(400);
          expect(
            ALL.map((d, i) => (up.calls.get(d) ?? 0) - before[i]!),
            api.name,
          ).toEqual([1, 0, 0]);
          expect(records.at(-1)!.attempts.map((a) => a.deployment)).toEqual(['short']);
        }
      } finally {
        up.fault('short', undefined);
        await rt.close();
      }
    });
  },
);

it('Anthropic’s “prompt is too long” reaches an OpenAI caller as context_length_exceeded', async () => {
  const { rt } = await startRouter('openai-compatible');
  up.fault('long', tooLong('anthropic'));
  try {
    const res = await rt.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'long', messages: HI },
    });
    expect(res.statusCode, res.payload).toBe(400);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'context_length_exceeded',
    });
    expect(res.headers['x-router-attempts']).toBe('1');
  } finally {
    up.fault('long', undefined);
    await rt.close();
  }
});

/**
 * OpenAI-compatible servers that say it in words, with no `context_length_exceeded` code (their
 * bodies as their sources write them): vLLM's flat error, TGI's 422, llama.cpp's server.
 */
const SERVER_OVERFLOWS: [string, Fault][] = [
  [
    'vLLM',
    {
      kind: 'error-body',
      status: 400,
      body: {
        object: 'error',
        message:
          "This model's maximum context length is 8192 tokens. However, you requested 9120 tokens (8920 in the messages, 200 in the completion). Please reduce the length of the messages or completion.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    },
  ],
  [
    'TGI',
    {
      kind: 'error-body',
      status: 422,
      body: {
        error:
          'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: 9000 `inputs` tokens and 200 `max_new_tokens`',
        error_type: 'validation',
      },
    },
  ],
  [
    'llama.cpp',
    {
      kind: 'error-body',
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: 9120,
          n_ctx: 8192,
        },
      },
    },
  ],
];

it.each(SERVER_OVERFLOWS)(
  '%s’s context-length error in words fails over to the larger window',
  async (_server, fault) => {
    const { rt, records } = await startRouter('openai-compatible');
    up.fault('short', fault);
    try {
      const res = await rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: HI },
      });
      expect(res.statusCode, res.payload).toBe(200);
      expect(res.headers['x-router-deployment']).toBe('long');
      expect(records.at(-1)!.attempts.map(brief)).toEqual([
        ['short', 'error', 'context_length_exceeded'],
        ['same', 'skipped', 'context_window_not_larger'],
        ['long', 'ok', undefined],
      ]);
    } finally {
      up.fault('short', undefined);
      await rt.close();
    }
  },
);
