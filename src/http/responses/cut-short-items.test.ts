// A bridged Response cut short (max_output_tokens: chat `finish_reason` `length`) marks the item
// it stopped in `incomplete`, whatever its type: a reasoning item when the limit came while the
// model reasoned, a function call whose arguments were cut, as well as the message (openapi.yaml
// `ReasoningItem.status`, `FunctionToolCall.status`: in_progress, completed or incomplete); the
// items finished before it stay `completed`. JSON, the stream's `response.output_item.done` and
// its final Response agree, and the official SDK's `responses.stream()` gathers it without
// throwing. Before, only the message was marked; reasoning items carried no status and calls
// said `completed`.
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { responsesMockApp } from '../../../test/helpers/responses-mock-upstream.js';
import { listenInRange } from '../../../test/helpers/listen-in-range.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';

type Json = Record<string, unknown>;

const READ_FILE = {
  type: 'function' as const,
  name: 'read_file',
  description: 'Reads a file of the workspace.',
  parameters: {
    type: 'object',
    properties: { path: { type: 'string' } },
    required: ['path'],
    additionalProperties: false,
  },
  strict: true,
};

/**
 * An OpenAI-format upstream's answer cut at its token limit while writing its second tool call:
 * its reasoning, a line of text and one whole call came before. JSON or SSE.
 */
function cutReply(stream: boolean): string {
  const base = { id: 'chatcmpl-cut', created: 1_760_000_000, model: 'gpt-oss-120b' };
  const usage = { prompt_tokens: 40, completion_tokens: 64, total_tokens: 104 };
  const calls = [
    {
      id: 'call_a',
      type: 'function',
      function: { name: 'read_file', arguments: '{"path":"a.ts"}' },
    },
    { id: 'call_b', type: 'function', function: { name: 'read_file', arguments: '{"path":"b.' } },
  ];
  if (!stream)
    return JSON.stringify({
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          finish_reason: 'length',
          message: {
            role: 'assistant',
            content: 'Let me read both.',
            reasoning_content: 'Both files are needed.',
            tool_calls: calls,
          },
        },
      ],
      usage,
    });
  const chunk = (delta: Json, finish: string | null = null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return (
    [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Both files' }),
      chunk({ reasoning_content: ' are needed.' }),
      chunk({ content: 'Let me read both.' }),
      ...calls.map((c, index) =>
        chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: c.function }] }),
      ),
      chunk({}, 'length'),
      { ...base, object: 'chat.completion.chunk', choices: [], usage },
    ]
      .map((c) => `data: ${JSON.stringify(c)}\n\n`)
      .join('') + 'data: [DONE]\n\n'
  );
}

const reasons = { tools: true, jsonSchema: true, reasoning: true, streaming: true };
const config = testConfig({
  deployments: [
    // Reasons for 64 tokens: a limit of 16 stops it while it reasons.
    simDeployment('deep', {
      capabilities: reasons,
      simulation: { answerTokens: 40, reasoningTokens: 64 },
    }),
    // Reasons for 12 tokens: a limit of 20 stops it in its answer.
    simDeployment('thinker', {
      capabilities: reasons,
      simulation: { answerTokens: 40, reasoningTokens: 12 },
    }),
    {
      name: 'oss',
      provider: 'openai-compatible',
      model: 'gpt-oss-120b',
      baseUrl: 'https://oss.example/v1',
      capabilities: reasons,
      prices: { inputPer1M: 0.15, outputPer1M: 0.6 },
      contextWindow: 128_000,
      maxOutputTokens: 32_768,
    },
  ],
  routers: [{ name: 'model-router', modelSubset: ['thinker'] }],
});

const mock = responsesMockApp(config, {
  deployment: 'oss',
  origin: 'https://oss.example',
  reply: cutReply,
});
const { app, create, stream } = mock;
afterAll(() => mock.close());

/** Each output item's type and status. */
const statuses = (output: unknown) =>
  (output as Json[]).map((i) => [i.type, i.status] as [unknown, unknown]);

/** A Response's items, and the stream's `output_item.done` items and final Response, agreeing. */
async function expectItems(payload: Json, expected: [string, string][]): Promise<Json[]> {
  const created = await create(payload);
  expect(created).toMatchObject({
    status: 'incomplete',
    incomplete_details: { reason: 'max_output_tokens' },
  });
  expect(statuses(created.output)).toEqual(expected);
  const got = await (await app()).app.inject({ url: `/v1/responses/${String(created.id)}` });
  expect(statuses((got.json() as Json).output)).toEqual(expected);

  const events = await stream(payload);
  const added = events.filter((e) => e.type === 'response.output_item.added');
  expect(added.map((e) => (e.item as Json).status)).toEqual(expected.map(() => 'in_progress'));
  const done = events.filter((e) => e.type === 'response.output_item.done');
  expect(done.map((e) => [(e.item as Json).type, (e.item as Json).status])).toEqual(expected);
  const last = events.at(-1)!;
  expect(last.type).toBe('response.incomplete');
  expect(statuses((last.response as Json).output)).toEqual(expected);
  return events;
}

describe('a simulated reasoning model cut short', () => {
  it('while it reasons: the reasoning item incomplete, its summary part too', async () => {
    const payload = {
      model: 'deep',
      input: 'Prove it.',
      max_output_tokens: 16,
      reasoning: { summary: 'auto' },
    };
    const events = await expectItems(payload, [['reasoning', 'incomplete']]);
    const part = events.find((e) => e.type === 'response.reasoning_summary_part.done')!;
    expect(part).toMatchObject({ status: 'incomplete', part: { type: 'summary_text' } });
  });

  it('in its answer: the reasoning completed, the message incomplete', async () => {
    await expectItems({ model: 'thinker', input: 'Prove it.', max_output_tokens: 20 }, [
      ['reasoning', 'completed'],
      ['message', 'incomplete'],
    ]);
  });

  it('not cut: every item completed', async () => {
    const created = await create({ model: 'thinker', input: 'Prove it.' });
    expect(created.status).toBe('completed');
    expect(statuses(created.output)).toEqual([
      ['reasoning', 'completed'],
      ['message', 'completed'],
    ]);
  });
});

describe('an upstream cut short in its second tool call', () => {
  const payload = { model: 'oss', input: 'Read a.ts and b.ts.', tools: [READ_FILE] };
  const expected: [string, string][] = [
    ['reasoning', 'completed'],
    ['message', 'completed'],
    ['function_call', 'completed'],
    ['function_call', 'incomplete'],
  ];

  it('that call incomplete, the items before it completed, JSON and streamed', async () => {
    const events = await expectItems(payload, expected);
    const args = events.filter((e) => e.type === 'response.function_call_arguments.done');
    expect(args.map((e) => e.arguments)).toEqual(['{"path":"a.ts"}', '{"path":"b.']);
  });

  it("the openai SDK's responses.stream() and create() give it without throwing", async () => {
    const { app: server } = await app();
    const port = await listenInRange(
      (p) => server.listen({ host: '127.0.0.1', port: p }),
      47_170,
      47_189,
    );
    const openai = new OpenAI({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
    const body = { model: 'oss', input: 'Read a.ts and b.ts.', tools: [READ_FILE] };
    const s = openai.responses.stream(body);
    const done: [string, unknown][] = [];
    s.on('response.output_item.done', (e) =>
      done.push([e.item.type, (e.item as { status?: string }).status]),
    );
    const final = await s.finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(done).toEqual(expected);
    expect(statuses(final.output)).toEqual(expected);
    // Not parsed: the response is incomplete (the cut arguments are no JSON).
    const cut = final.output[3] as OpenAI.Responses.ParsedResponseFunctionToolCall;
    expect(cut).toMatchObject({
      call_id: 'call_b',
      arguments: '{"path":"b.',
      parsed_arguments: null,
    });
    expect(final.output_text).toBe('Let me read both.');

    const created = await openai.responses.create(body);
    expect(statuses(created.output)).toEqual(expected);
  });
});
