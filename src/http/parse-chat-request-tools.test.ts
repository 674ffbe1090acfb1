// A chat request's function tools are checked on their name and parameters (a JSON Schema its
// meta-schema takes) before routing, so a name or schema one upstream refuses is not a 400 only on
// the routes that reach that upstream.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { parseChatRequest } from './parse-chat-request.js';

const request = (fn: Record<string, unknown>) => ({
  model: 'model-router',
  messages: [{ role: 'user', content: 'hi' }],
  tools: [
    { type: 'function', function: { name: 'ok_tool', parameters: { type: 'object' } } },
    { type: 'function', function: fn },
  ],
});

function refusal(body: unknown): { param: string | null | undefined; message: string } {
  try {
    parseChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    const e = err as GatewayError;
    expect(e.status).toBe(400);
    return { param: e.param, message: e.message };
  }
  throw new Error('expected a 400');
}

describe('chat function tools', () => {
  it.each([['a b'], [''], ['x'.repeat(65)], ['get.weather'], ['wetter/heute']])(
    'refuses the name %j, naming tools[1].function.name',
    (name) => {
      const { param, message } = refusal(request({ name }));
      expect(param).toBe('tools[1].function.name');
      expect(message).toContain("'^[a-zA-Z0-9_-]{1,64}$'");
    },
  );

  it('refuses parameters that are not an object', () => {
    const { param, message } = refusal(request({ name: 'f', parameters: 'string' }));
    expect(param).toBe('tools[1].function.parameters');
    expect(message).toContain('JSON Schema object');
  });

  it('refuses parameters that are no JSON Schema, naming the fault (upstreams refuse them)', () => {
    const cases: [unknown, string][] = [
      [
        { type: 'object', properties: { city: { type: 'str' } } },
        '/properties/city/type must be equal to one of the allowed values (array, boolean, integer, null, number, object, string)',
      ],
      [{ type: 'object', properties: 'city' }, '/properties must be object'],
      [{ type: 'object', required: 'city' }, '/required must be array'],
    ];
    for (const [parameters, fault] of cases) {
      const { param, message } = refusal(request({ name: 'f', parameters }));
      expect(param).toBe('tools[1].function.parameters');
      expect(message).toBe(
        `Invalid schema for function 'f' (tools[1].function.parameters): ${fault}.`,
      );
    }
  });

  it('takes schemas of draft 2020-12, draft-07 (zod-to-json-schema), and leaves other drafts upstream', () => {
    for (const parameters of [
      { type: 'object', properties: { a: { type: ['string', 'null'] } }, required: ['a'] },
      { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', definitions: {} },
      { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
      { type: 'object', nullable: true, 'x-custom': 1, $defs: { b: { type: 'integer' } } },
    ])
      expect(() => parseChatRequest(request({ name: 'f', parameters }))).not.toThrow();
  });

  it('refuses a response format schema that is no JSON Schema', () => {
    const { param, message } = refusal({
      model: 'model-router',
      messages: [{ role: 'user', content: 'hi' }],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'out', schema: { type: 'object', properties: { a: 5 } } },
      },
    });
    expect(param).toBe('response_format.json_schema.schema');
    expect(message).toContain('/properties/a must be object,boolean');
  });

  it('takes names of letters, digits, _ and - up to 64, with or without parameters', () => {
    for (const name of ['get_weather', 'mcp__server__tool-1', 'A'.repeat(64)]) {
      expect(() => parseChatRequest(request({ name }))).not.toThrow();
      expect(() => parseChatRequest(request({ name, parameters: null }))).not.toThrow();
    }
  });
});

describe("an assistant turn's tool_calls", () => {
  const withCalls = (tool_calls: unknown) => ({
    model: 'model-router',
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'a', tool_calls },
    ],
  });

  it('refuses tool_calls that are not an array, naming the message', () => {
    expect(refusal(withCalls('x')).param).toBe('messages[1].tool_calls');
  });

  it('refuses a call without an id or a function name, naming it', () => {
    expect(refusal(withCalls([{ type: 'function', function: { name: 'f' } }])).param).toBe(
      'messages[1].tool_calls[0]',
    );
    expect(refusal(withCalls([{ id: 'c1', type: 'function', function: {} }])).param).toBe(
      'messages[1].tool_calls[0]',
    );
  });

  it('refuses arguments that are not a string of JSON, naming them', () => {
    for (const args of [{ city: 'Paris' }, 5, ['x']]) {
      const { param, message } = refusal(
        withCalls([{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }]),
      );
      expect(param).toBe('messages[1].tool_calls[0].function.arguments');
      expect(message).toContain('expected a string of JSON');
    }
  });

  it('takes function and custom calls', () => {
    const calls = [
      { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
      { id: 'c2', type: 'custom', custom: { name: 'g', input: 'x' } },
    ];
    expect(() => parseChatRequest(withCalls(calls))).not.toThrow();
    expect(() => parseChatRequest(withCalls(null))).not.toThrow();
  });
});
