// A tool_choice naming a tool the request does not offer is refused before routing, in each
// API's own error shape: every upstream would refuse it (OpenAI and Anthropic answer 400), and
// the simulated fleet made a call up instead. A choice naming an offered tool is served.
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../test/helpers/build-test-app.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

type Json = Record<string, unknown>;

async function app() {
  const config = testConfig();
  const adapters = simulatedAdapters(config);
  return buildTestApp(config, adapters, { responses: createResponseStore(100) });
}

const weather = { name: 'get_weather', parameters: { type: 'object' } };
const time = { name: 'get_time', parameters: { type: 'object' } };
const chatTools = [weather, time].map((f) => ({ type: 'function', function: f }));
const hi = [{ role: 'user', content: 'What is the weather in Paris?' }];

describe('a tool_choice naming a tool that is not offered', () => {
  it('is a 400 in OpenAI’s shape on chat and Azure paths, naming the function and the tools given', async () => {
    const t = await app();
    const cases: { tools?: unknown; says: string }[] = [
      { tools: chatTools, says: "'get_forecast'" },
      { tools: undefined, says: 'no' },
      { tools: [], says: 'no' },
    ];
    for (const url of [
      '/v1/chat/completions',
      '/openai/deployments/model-router/chat/completions?api-version=2024-10-21',
    ])
      for (const { tools, says } of cases) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          payload: {
            model: 'model-router',
            messages: hi,
            ...(tools ? { tools } : {}),
            tool_choice: { type: 'function', function: { name: 'get_forecast' } },
          },
        });
        expect(res.statusCode).toBe(400);
        const error = res.json().error as Json;
        expect(error).toMatchObject({ type: 'invalid_request_error', param: 'tool_choice' });
        expect(error.message).toContain('get_forecast');
        expect(error.message).toContain(says);
        if (tools === chatTools) expect(error.message).toContain("'get_weather', 'get_time'");
      }
    // A malformed named choice says what to send.
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: hi,
        tools: chatTools,
        tool_choice: { type: 'function' },
      },
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.param).toBe('tool_choice.function.name');
    // An object with no type is refused before routing (input audit F8: `{}` was served).
    for (const tool_choice of [{}, { x: 1 }, { type: '' }]) {
      const untyped = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: hi, tools: chatTools, tool_choice },
      });
      expect(untyped.statusCode).toBe(400);
      expect(untyped.json().error).toMatchObject({
        param: 'tool_choice.type',
        code: 'missing_required_parameter',
      });
    }
    // Named and offered: served, with a call to it.
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: hi,
        tools: chatTools,
        tool_choice: { type: 'function', function: { name: 'get_time' } },
      },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().choices[0].message.tool_calls[0].function.name).toBe('get_time');
    await t.app.close();
  });

  it('is a 400 on /v1/responses ({type:"function", name}), in its error shape', async () => {
    const t = await app();
    const ask = (extra: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'What is the weather in Paris?', ...extra },
      });
    const tools = [weather, time].map((f) => ({ type: 'function', ...f }));
    for (const extra of [{ tools }, {}]) {
      const res = await ask({ ...extra, tool_choice: { type: 'function', name: 'get_forecast' } });
      expect(res.statusCode).toBe(400);
      const error = res.json().error as Json;
      expect(error).toMatchObject({ type: 'invalid_request_error', param: 'tool_choice' });
      expect(error.message).toContain('get_forecast');
    }
    const ok = await ask({ tools, tool_choice: { type: 'function', name: 'get_weather' } });
    expect(ok.statusCode).toBe(200);
    expect((ok.json().output as Json[]).find((o) => o.type === 'function_call')?.name).toBe(
      'get_weather',
    );
    await t.app.close();
  });

  it('is a 400 on /v1/messages ({type:"tool", name}), in Anthropic’s shape', async () => {
    const t = await app();
    const ask = (extra: Json) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/messages',
        payload: { model: 'model-router', max_tokens: 100, messages: hi, ...extra },
      });
    const tools = [weather, time].map((f) => ({ name: f.name, input_schema: f.parameters }));
    for (const extra of [{ tools }, {}]) {
      const res = await ask({ ...extra, tool_choice: { type: 'tool', name: 'get_forecast' } });
      expect(res.statusCode).toBe(400);
      const body = res.json() as Json;
      expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect((body.error as Json).message).toContain('tool_choice.name');
      expect((body.error as Json).message).toContain('get_forecast');
    }
    // count_tokens checks it as Anthropic's would.
    const count = await t.app.inject({
      method: 'POST',
      url: '/v1/messages/count_tokens',
      payload: {
        model: 'model-router',
        messages: hi,
        tools,
        tool_choice: { type: 'tool', name: 'x' },
      },
    });
    expect(count.statusCode).toBe(400);
    const ok = await ask({ tools, tool_choice: { type: 'tool', name: 'get_weather' } });
    expect(ok.statusCode).toBe(200);
    expect((ok.json().content as Json[]).find((b) => b.type === 'tool_use')?.name).toBe(
      'get_weather',
    );
    await t.app.close();
  });
});
