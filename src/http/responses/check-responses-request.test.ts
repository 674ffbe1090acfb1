// /v1/responses refuses fields of the wrong type or shape, naming them in OpenAI's error shape;
// a well-formed request with every checked field still passes.
import { describe, expect, it } from 'vitest';
import { createResponseStore } from '../../store/response-store.js';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';

describe('Responses request checks', () => {
  it('answers each malformed field with a 400 naming it, and serves the well-formed request', async () => {
    const reply = [{ reply: 'ok' }];
    const t = await buildTestApp(
      testConfig(),
      {
        big: fakeAdapter('big', reply),
        mid: fakeAdapter('mid', reply),
        small: fakeAdapter('small', reply),
      },
      { responses: createResponseStore(100) },
    );
    const send = (body: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'hi', ...body },
      });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ stream: 'yes' }, 'stream', "'stream' must be a boolean"],
      [{ store: 'no' }, 'store', "'store' must be a boolean"],
      [{ parallel_tool_calls: 'no' }, 'parallel_tool_calls', 'must be a boolean'],
      [{ instructions: 5 }, 'instructions', "'instructions' must be a string"],
      [{ previous_response_id: 5 }, 'previous_response_id', 'must be a string'],
      [{ reasoning: 'high' }, 'reasoning', "'reasoning' must be an object"],
      [{ reasoning: { effort: 3 } }, 'reasoning.effort', "Invalid type for 'reasoning.effort'"],
      // OpenAI's levels (openapi.yaml `ReasoningEffort`), in its words.
      [
        { reasoning: { effort: 'extreme' } },
        'reasoning.effort',
        "Invalid value for 'reasoning.effort': 'extreme'. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh', and 'max'.",
      ],
      [{ text: { format: { type: 'bogus' } } }, 'text.format.type', 'must be one of text'],
      [{ text: { format: { type: 'json_schema' } } }, 'text.format.schema', 'is required'],
      [
        { text: { format: { type: 'json_schema', name: 'x', schema: {}, strict: 'yes' } } },
        'text.format.strict',
        '\'text.format.strict\' must be a boolean; got "yes".',
      ],
      [{ max_output_tokens: 8 }, 'max_output_tokens', 'an integer of at least 16'],
      [
        { input: [{ type: 'function_call_output', output: 'x' }] },
        'input[0].call_id',
        'is required',
      ],
      [
        { input: [{ type: 'function_call', call_id: 'c1', arguments: '{}' }] },
        'input[0].name',
        'is required',
      ],
      [
        {
          input: [
            { type: 'function_call', call_id: 'c1', name: 'f', arguments: { city: 'Paris' } },
            { type: 'function_call_output', call_id: 'c1', output: 'x' },
          ],
        },
        'input[0].arguments',
        "'input[0].arguments' must be a string of JSON",
      ],
    ];
    for (const [body, param, message] of cases) {
      const res = await send(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.param).toBe(param);
      expect(res.json().error.message).toContain(message);
    }
    const ok = await send({
      stream: false,
      store: false,
      parallel_tool_calls: true,
      instructions: 'Be brief.',
      reasoning: { effort: 'none' },
      max_output_tokens: 64,
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } } },
      input: [
        { role: 'user', content: 'use f' },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'done' },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().object).toBe('response');
  });
});
