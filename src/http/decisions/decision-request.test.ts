// The Decisions request checks (decision-request.ts) and its bridge to chat (decision-chat.ts): each
// wrong field is a 400 naming it in OpenAI's envelope, through the app as well as alone, and a
// valid request becomes one chat request whose JSON schema asks for each answer in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  simulatedAdapters,
  type TestApp,
} from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { GatewayError } from '../../core/errors.js';
import { answersSchema, decisionToChat } from './decision-chat.js';
import { parseDecisionRequest } from './decision-request.js';

const predicate = { type: 'predicate', instructions: 'Is it about billing?' };
const choice = (values: unknown[]) => ({
  type: 'choice',
  instructions: 'Which?',
  choices: values.map((value) => ({ value })),
});
const score = {
  type: 'score',
  instructions: 'How urgent?',
  levels: [{ label: 'low' }, { label: 'high' }],
};
const body = (over: Record<string, unknown>) => ({
  model: 'model-router',
  input: 'I was charged twice.',
  questions: [predicate],
  ...over,
});

/** The param of the 400 parseDecisionRequest throws for `b`. */
function paramOf(b: unknown): string | null | undefined {
  try {
    parseDecisionRequest(b);
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).status).toBe(400);
    return (e as GatewayError).param;
  }
  return undefined;
}

describe('parseDecisionRequest', () => {
  it.each([
    ['no questions', body({ questions: undefined }), 'questions'],
    ['empty questions', body({ questions: [] }), 'questions'],
    ['401 questions', body({ questions: Array(401).fill(predicate) }), 'questions'],
    [
      'a question of no type',
      body({ questions: [predicate, { instructions: 'x' }] }),
      'questions[1].type',
    ],
    ['an unknown type', body({ questions: [{ ...predicate, type: 'rank' }] }), 'questions[0].type'],
    ['no instructions', body({ questions: [{ type: 'predicate' }] }), 'questions[0].instructions'],
    [
      'empty instructions',
      body({ questions: [{ ...predicate, instructions: '' }] }),
      'questions[0].instructions',
    ],
    [
      'a name that is no string',
      body({ questions: [{ ...predicate, name: 3 }] }),
      'questions[0].name',
    ],
    [
      'one choice',
      body({ questions: [predicate, predicate, predicate, choice(['a'])] }),
      'questions[3].choices',
    ],
    [
      '256 choices',
      body({ questions: [choice(Array.from({ length: 256 }, (_, i) => `c${i}`))] }),
      'questions[0].choices',
    ],
    [
      'a duplicate choice',
      body({ questions: [choice(['a', 'b', 'a'])] }),
      'questions[0].choices[2].value',
    ],
    ['a numeric choice', body({ questions: [choice(['a', 1])] }), 'questions[0].choices[1].value'],
    [
      'one level',
      body({ questions: [{ ...score, levels: [{ label: 'x' }] }] }),
      'questions[0].levels',
    ],
    [
      'a level without label',
      body({ questions: [{ ...score, levels: [{ label: 'x' }, {}] }] }),
      'questions[0].levels[1].label',
    ],
    ['no input', body({ input: undefined }), 'input'],
    ['an empty input', body({ input: '' }), 'input'],
    ['a bad role', body({ input: [{ role: 'tool', content: 'x' }] }), 'input[0].role'],
    [
      'an image from the system',
      body({
        input: [
          { role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] },
        ],
      }),
      'input[0].content[0].type',
    ],
    [
      'a question image that is no URL',
      body({
        questions: [
          { type: 'predicate', instructions: [{ type: 'input_image', image_url: 'ftp://x/y' }] },
        ],
      }),
      'questions[0].instructions[0].image_url',
    ],
    ['an unknown item', body({ input: [{ type: 'reasoning' }] }), 'input[0].type'],
    [
      'an output with no call',
      body({ input: [{ type: 'function_call_output', call_id: 'c1', output: 'x' }] }),
      'input[0].call_id',
    ],
    [
      'an output answering a call of the other kind',
      body({
        input: [
          { type: 'custom_tool_call', call_id: 'c1', name: 't', input: 'x' },
          { type: 'function_call_output', call_id: 'c1', output: 'x' },
        ],
      }),
      'input[1].call_id',
    ],
    [
      'a call with no name',
      body({ input: [{ type: 'function_call', call_id: 'c1', arguments: '{}' }] }),
      'input[0].name',
    ],
    [
      'json that is no object',
      body({ input: [{ role: 'user', content: [{ type: 'input_json', data: 3 }] }] }),
      'input[0].content[0].data',
    ],
  ])('%s is a 400 naming the field', (_what, b, param) => {
    expect(paramOf(b)).toBe(param);
  });

  it('takes typed choices: true and "true" are two, a tool output after its call, 400 questions', () => {
    const parsed = parseDecisionRequest(
      body({
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'hi' },
              { type: 'input_json', data: { a: 1 } },
            ],
          },
          { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'found' },
          {
            role: 'assistant',
            content: [
              { type: 'output_text', text: 'ok' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
        questions: [choice([true, 'true']), ...Array(399).fill(predicate)],
      }),
    );
    expect(parsed.questions).toHaveLength(400);
    expect(parsed.questions[0]).toMatchObject({
      type: 'choice',
      name: null,
      choices: [{ value: true }, { value: 'true' }],
    });
  });
});

describe('decisionToChat', () => {
  it('asks one chat request: questions as the system message, the input after, a strict schema', () => {
    const chat = decisionToChat(
      parseDecisionRequest(
        body({
          input: [
            { role: 'user', content: 'Cancel my plan' },
            { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot' }] },
          ],
          questions: [{ ...predicate, name: 'billing' }, choice([true, 'true']), score],
          safety_identifier: 'u-1',
        }),
      ),
    );
    expect(chat.model).toBe('model-router');
    expect(chat.safety_identifier).toBe('u-1');
    const roles = chat.messages.map((m) => m.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'user']);
    const system = String(chat.messages[0]!.content);
    expect(system).toContain('Question 1 (predicate "billing"): Is it about billing?');
    expect(system).toContain('1. true\n2. "true"');
    expect(system).toContain('Levels, lowest first:\n1. low\n2. high');
    expect(chat.messages[2]!.content).toBe('I cannot');
    const format = chat.response_format as { type: string; json_schema: { schema: unknown } };
    expect(format.type).toBe('json_schema');
    expect(format.json_schema.schema).toMatchObject({
      required: ['q1', 'q2', 'q3'],
      additionalProperties: false,
      properties: {
        q2: {
          anyOf: [
            {
              properties: {
                choice: {
                  anyOf: [
                    { type: 'boolean', enum: [true] },
                    { type: 'string', enum: ['true'] },
                  ],
                },
              },
            },
            { type: 'null' },
          ],
        },
      },
    });
  });

  it("puts the questions' images in a user message before the input", () => {
    const chat = decisionToChat(
      parseDecisionRequest(
        body({
          questions: [
            {
              type: 'predicate',
              instructions: [
                { type: 'input_text', text: 'Same product as' },
                { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'original' },
              ],
            },
          ],
        }),
      ),
    );
    expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'user']);
    expect(chat.messages[1]!.content).toEqual([
      { type: 'text', text: 'Image for question 1:' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } },
    ]);
    expect(chat.messages[2]!.content).toBe('I was charged twice.');
  });

  it('tool calls go as assistant text and their outputs as user text, answered or not', () => {
    const chat = decisionToChat(
      parseDecisionRequest(
        body({
          input: [
            { role: 'user', content: 'Where is my order?' },
            { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"id":7}' },
            { type: 'function_call_output', call_id: 'c1', output: 'shipped' },
          ],
        }),
      ),
    );
    expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(chat.messages[2]!.content).toBe('Calls tool lookup (call c1), arguments: {"id":7}');
    expect(chat.messages[2]).not.toHaveProperty('tool_calls');
    expect(chat.messages[3]!.content).toBe('Output of tool call c1:\nshipped');
  });

  it('a call no output answers (a proposed call to judge) goes as assistant text', () => {
    const chat = decisionToChat(
      parseDecisionRequest(
        body({
          input: [
            { role: 'user', content: 'Delete the logs' },
            { type: 'function_call', call_id: 'c9', name: 'rm', arguments: '{"path":"/var/log"}' },
          ],
        }),
      ),
    );
    expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(chat.messages[2]!.content).toBe(
      'Calls tool rm (call c9), arguments: {"path":"/var/log"}',
    );
    expect(chat.messages[2]).not.toHaveProperty('tool_calls');
  });

  it('answersSchema keys each question by its number', () => {
    expect(
      Object.keys(
        answersSchema(parseDecisionRequest(body({ questions: [predicate, score] })).questions)
          .properties as object,
      ),
    ).toEqual(['q1', 'q2']);
  });
});

describe('POST /v1/decisions validation through the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    const config = testConfig();
    t = await buildTestApp(config, simulatedAdapters(config));
  });
  afterAll(async () => {
    await t.app.close();
  });

  it.each(['/v1/decisions', '/openai/v1/decisions'])(
    '%s answers a bad field with OpenAI’s envelope naming it, calling no model',
    async (url) => {
      const res = await t.app.inject({
        method: 'POST',
        url,
        payload: body({ questions: [predicate, predicate, predicate, choice(['a'])] }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        error: { type: 'invalid_request_error', param: 'questions[3].choices' },
      });
      expect(t.records.filter((r) => r.endpoint === 'decisions' && r.deployment)).toEqual([]);
    },
  );

  it('a missing model is a 400 naming model', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/decisions',
      payload: body({ model: undefined }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe('model');
  });
});
