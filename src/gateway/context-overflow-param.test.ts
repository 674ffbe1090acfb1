// A prompt past every candidate's context window is a 400 `context_length_exceeded` whose `param`
// names the field that holds the prompt in the API the client called: `messages` for Chat
// Completions, `prompt` for Completions, `input` for Responses (before, `messages` on all three,
// a field the Completions and Responses APIs do not have).
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

const config = testConfig({
  deployments: [simDeployment('tiny', { contextWindow: 2_000, maxOutputTokens: 500 })],
  routers: [{ name: 'model-router', modelSubset: ['tiny'] }],
});
const long = 'word '.repeat(5_000);

describe('a prompt past every context window', () => {
  it('names the prompt field of the API called', async () => {
    const t = await buildTestApp(config, simulatedAdapters(config), {
      responses: createResponseStore(10),
    });
    const cases: [string, Record<string, unknown>, string][] = [
      ['/v1/chat/completions', { messages: [{ role: 'user', content: long }] }, 'messages'],
      ['/v1/completions', { prompt: long, max_tokens: 16 }, 'prompt'],
      ['/v1/responses', { input: long }, 'input'],
      ['/v1/responses', { input: [{ role: 'user', content: long }], stream: true }, 'input'],
    ];
    for (const [url, body, param] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        payload: { model: 'model-router', ...body },
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param,
      });
    }
    await t.app.close();
  });
});
