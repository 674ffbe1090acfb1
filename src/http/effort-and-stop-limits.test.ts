// OpenAI's reasoning levels and its four stop sequences, refused before routing on every OpenAI
// path (chat, completions, Responses, the Azure ones) in OpenAI's words: a level a model without
// reasoning dropped, or a fifth stop sequence Claude took, was served or refused by the pick.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  type TestApp,
  simulatedAdapters,
} from '../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import type { ConfigInput } from '../config/schema.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

let t: TestApp | undefined;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig({
    deployments: [
      simDeployment('plain'),
      simDeployment('thinker', {
        capabilities: {
          tools: true,
          vision: true,
          jsonSchema: true,
          reasoning: true,
          streaming: true,
        },
      }),
    ] as ConfigInput['deployments'],
    routers: [{ name: 'model-router', modelSubset: ['plain', 'thinker'] }],
  });
  const adapters = simulatedAdapters(config);
  t = await buildTestApp(config, adapters, { responses: createResponseStore(100) });
  return t;
}

afterAll(async () => {
  await t?.app.close();
});

const messages = [{ role: 'user', content: 'Count to three.' }];
const post = async (url: string, payload: Json) =>
  (await app()).app.inject({ method: 'POST', url, payload });

const CHAT_PATHS = [
  '/v1/chat/completions',
  '/openai/v1/chat/completions',
  '/openai/deployments/thinker/chat/completions?api-version=2024-10-21',
];
const RESPONSES_PATHS = [
  '/v1/responses',
  '/openai/v1/responses',
  '/openai/deployments/thinker/responses?api-version=2025-04-01-preview',
];
const LEVELS = "'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'";

describe("OpenAI's reasoning levels", () => {
  it('chat: a level OpenAI does not have is a 400 naming reasoning_effort and the levels', async () => {
    for (const url of CHAT_PATHS)
      for (const effort of ['extreme', 'HIGH', 'maximum']) {
        const res = await post(url, {
          model: 'model-router',
          messages,
          reasoning_effort: effort,
        });
        expect(res.statusCode, `${url} ${effort}`).toBe(400);
        expect(res.json().error).toEqual({
          type: 'invalid_request_error',
          param: 'reasoning_effort',
          code: 'invalid_value',
          message: `Invalid value for 'reasoning_effort': '${effort}'. Supported values are: ${LEVELS}.`,
        });
      }
    const wrongType = await post(CHAT_PATHS[0]!, {
      model: 'model-router',
      messages,
      reasoning_effort: 3,
    });
    expect(wrongType.json().error).toMatchObject({
      param: 'reasoning_effort',
      code: 'invalid_type',
    });
  });

  it('chat: every level of the spec, and null, is served', async () => {
    for (const effort of ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max', null]) {
      const res = await post(CHAT_PATHS[0]!, {
        model: 'model-router',
        messages,
        reasoning_effort: effort,
      });
      expect(res.statusCode, `${effort} ${res.body}`).toBe(200);
    }
  });

  it('Responses: reasoning.effort, the same levels, the same words', async () => {
    for (const url of RESPONSES_PATHS) {
      const res = await post(url, {
        model: 'model-router',
        input: 'hi',
        reasoning: { effort: 'ultra' },
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toEqual({
        type: 'invalid_request_error',
        param: 'reasoning.effort',
        code: 'invalid_value',
        message: `Invalid value for 'reasoning.effort': 'ultra'. Supported values are: ${LEVELS}.`,
      });
    }
    const served = await post(RESPONSES_PATHS[0]!, {
      model: 'model-router',
      input: 'hi',
      reasoning: { effort: 'xhigh' },
    });
    expect(served.statusCode, served.body).toBe(200);
    expect(served.json().reasoning.effort).toBe('xhigh');
  });
});

describe('stop: at most four sequences', () => {
  const five = ['a', 'b', 'c', 'd', 'e'];
  const tooMany = {
    type: 'invalid_request_error',
    param: 'stop',
    code: 'array_above_max_length',
    message:
      "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead.",
  };

  it('chat (and Azure): five are a 400 in OpenAI’s words, four are served', async () => {
    for (const url of CHAT_PATHS) {
      const res = await post(url, { model: 'model-router', messages, stop: five });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toEqual(tooMany);
      const ok = await post(url, { model: 'model-router', messages, stop: five.slice(0, 4) });
      expect(ok.statusCode, `${url} ${ok.body}`).toBe(200);
    }
  });

  it('legacy completions (and Azure): the same', async () => {
    for (const url of [
      '/v1/completions',
      '/openai/deployments/plain/completions?api-version=2024-10-21',
    ]) {
      const res = await post(url, { model: 'model-router', prompt: 'Count', stop: five });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toEqual(tooMany);
      const ok = await post(url, { model: 'model-router', prompt: 'Count', stop: 'three' });
      expect(ok.statusCode, `${url} ${ok.body}`).toBe(200);
    }
  });
});
