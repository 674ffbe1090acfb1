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

  it('says how large the prompt is, the largest window and how much to cut', async () => {
    const t = await buildTestApp(config, simulatedAdapters(config));
    const ask = async (extra: Record<string, unknown>) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: long }], ...extra },
      });
      expect(res.statusCode).toBe(400);
      return res.json().error.message as string;
    };
    const plain = await ask({});
    const prompt = Number(/the prompt is about (\d+) tokens/.exec(plain)?.[1]);
    expect(prompt).toBeGreaterThan(2_000);
    // OpenAI's words, which clients (LangChain's ContextOverflowError) find an overflow by.
    expect(plain).toContain('past the maximum context length of every deployment');
    expect(plain).toContain(
      `the largest context window here is 2000 tokens: shorten the prompt by at least ${prompt - 2_000} tokens`,
    );
    // With output asked for: the output counts, and asking for less is not enough here.
    const withOutput = await ask({ max_tokens: 400 });
    expect(withOutput).toContain(`about ${prompt} tokens and asks for 400 tokens of output`);
    expect(withOutput).toContain(`shorten the prompt by at least ${prompt + 400 - 2_000} tokens`);
    expect(withOutput).not.toContain('output tokens or fewer');
    await t.app.close();
  });

  it('where less output would do, says so', async () => {
    const roomy = testConfig({
      deployments: [simDeployment('w', { contextWindow: 6_000, maxOutputTokens: 5_000 })],
      routers: [{ name: 'model-router', modelSubset: ['w'] }],
    });
    const t = await buildTestApp(roomy, simulatedAdapters(roomy));
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: [{ role: 'user', content: long }],
        max_tokens: 4_000,
      },
    });
    expect(res.statusCode).toBe(400);
    const message = res.json().error.message as string;
    const prompt = Number(/the prompt is about (\d+) tokens/.exec(message)?.[1]);
    expect(message).toContain(`or ask for ${6_000 - prompt} output tokens or fewer`);
    await t.app.close();
  });
});
