// `reasoning.summary` on the Responses bridge for models that return their reasoning as text
// (`reasoning_content`: the simulated fleet's reasoning models, DeepSeek-R1 or gpt-oss on an
// OpenAI-format server): asked (`auto`, `concise`, `detailed`, or the deprecated
// `generate_summary`), the reasoning item's `summary` is that text as one `summary_text` part,
// streamed as OpenAI streams a summary (`response.reasoning_summary_part.added`,
// `response.reasoning_summary_text.delta` … `.done`, `response.reasoning_summary_part.done`);
// not asked, `summary` stays [], as OpenAI's. Before, it was [] whatever the request asked.
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { responsesMockApp } from '../../../test/helpers/responses-mock-upstream.js';
import { listenInRange } from '../../../test/helpers/listen-in-range.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';

type Json = Record<string, unknown>;

const REASONING = ['The user', ' greets me.', ' Answer warmly.'];

/** A DeepSeek-style server's reply: reasoning_content, then the answer; JSON or SSE. */
function deepseekReply(stream: boolean): string {
  const base = { id: 'chatcmpl-ds', created: 1_760_000_000, model: 'deepseek-r1' };
  const usage = { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 };
  if (!stream)
    return JSON.stringify({
      ...base,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: 'Hello!', reasoning_content: REASONING.join('') },
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
      ...REASONING.map((piece) => chunk({ reasoning_content: piece })),
      chunk({ content: 'Hello!' }),
      chunk({}, 'stop'),
      { ...base, object: 'chat.completion.chunk', choices: [], usage },
    ]
      .map((c) => `data: ${JSON.stringify(c)}\n\n`)
      .join('') + 'data: [DONE]\n\n'
  );
}

const config = testConfig({
  deployments: [
    simDeployment('thinker', {
      capabilities: { tools: true, jsonSchema: true, reasoning: true, streaming: true },
      simulation: { answerTokens: 20, reasoningTokens: 12 },
    }),
    {
      name: 'r1',
      provider: 'openai-compatible',
      model: 'deepseek-r1',
      baseUrl: 'https://deepseek.example/v1',
      capabilities: { reasoning: true, streaming: true },
      prices: { inputPer1M: 0.55, outputPer1M: 2.19 },
      contextWindow: 64_000,
      maxOutputTokens: 8_192,
    },
  ],
  routers: [{ name: 'model-router', modelSubset: ['thinker'] }],
});

const mock = responsesMockApp(config, {
  deployment: 'r1',
  origin: 'https://deepseek.example',
  reply: deepseekReply,
});
const { app, create, stream } = mock;
afterAll(() => mock.close());

const reasoningOf = (response: Json) =>
  (response.output as Json[]).find((i) => i.type === 'reasoning')!;
const textOf = (item: Json) => ((item.content as Json[])[0] as { text: string }).text;
/** The events of output item 0 (the reasoning item), by type, but its text deltas' repeats. */
const itemEvents = (events: Json[]) =>
  events
    .filter((e) => e.output_index === 0 || (e.item as Json | undefined)?.type === 'reasoning')
    .map((e) => String(e.type))
    .filter((type, i, all) => !(type.endsWith('.delta') && all[i - 2] === type));

const ask = 'Why is the sky blue?';

describe.each([
  ['thinker', 'a simulated reasoning model', /^Simulated reasoning: .*Why is the sky blue\?/],
  ['r1', 'an OpenAI-format server sending reasoning_content', /^The user greets me/],
] as const)('reasoning.summary on %s (%s)', (model, _what, reasoningText) => {
  it.each(['auto', 'concise', 'detailed'])(
    'summary %s: the reasoning text as the summary, JSON and streamed; none unasked',
    async (summary) => {
      const body = { model, input: ask, reasoning: { effort: 'low', summary } };
      const created = await create(body);
      const item = reasoningOf(created);
      const text = textOf(item);
      expect(text).toMatch(reasoningText);
      expect(item.summary).toEqual([{ type: 'summary_text', text }]);
      expect(created.reasoning).toEqual({ effort: 'low', summary });

      const events = await stream(body);
      // The summary's events in the order OpenAI sends them, beside the reasoning text's.
      expect(itemEvents(events)).toEqual([
        'response.output_item.added',
        'response.content_part.added',
        'response.reasoning_summary_part.added',
        'response.reasoning_text.delta',
        'response.reasoning_summary_text.delta',
        'response.reasoning_text.done',
        'response.content_part.done',
        'response.reasoning_summary_text.done',
        'response.reasoning_summary_part.done',
        'response.output_item.done',
      ]);
      const of = (type: string) => events.filter((e) => e.type === type);
      const deltas = of('response.reasoning_summary_text.delta')
        .map((e) => e.delta)
        .join('');
      expect(deltas).toBe(text);
      expect(of('response.reasoning_summary_text.done')[0]).toMatchObject({
        summary_index: 0,
        text,
      });
      expect(of('response.reasoning_summary_part.added')[0]).toMatchObject({
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
      const partDone = of('response.reasoning_summary_part.done')[0]!;
      expect(partDone.part).toEqual({ type: 'summary_text', text });
      expect(partDone).not.toHaveProperty('status');
      const done = of('response.output_item.done')[0]!.item as Json;
      expect(done).toMatchObject({
        summary: [{ type: 'summary_text', text }],
        status: 'completed',
      });
      const final = events.at(-1)!.response as Json;
      expect(reasoningOf(final)).toEqual(done);

      // Not asked (no reasoning, no summary, a null one): the same text, summary [], no events.
      for (const reasoning of [undefined, { effort: 'low' }, { effort: 'low', summary: null }]) {
        const unasked = { model, input: ask, ...(reasoning ? { reasoning } : {}) };
        const plain = reasoningOf(await create(unasked));
        expect(plain).toMatchObject({ summary: [], status: 'completed' });
        expect(textOf(plain)).toBe(text);
        const quiet = await stream(unasked);
        expect(quiet.some((e) => String(e.type).includes('reasoning_summary'))).toBe(false);
        expect(reasoningOf(quiet.at(-1)!.response as Json).summary).toEqual([]);
      }
    },
  );
});

describe('reasoning.summary and the official openai SDK', () => {
  it('the deprecated generate_summary asks too; responses.stream gathers the summary', async () => {
    const item = reasoningOf(
      await create({ model: 'thinker', input: ask, reasoning: { generate_summary: 'concise' } }),
    );
    expect(item.summary).toEqual([{ type: 'summary_text', text: textOf(item) }]);

    const { app: server } = await app();
    const port = await listenInRange(
      (p) => server.listen({ host: '127.0.0.1', port: p }),
      47_150,
      47_169,
    );
    const openai = new OpenAI({
      baseURL: `http://127.0.0.1:${port}/v1`,
      apiKey: 'unused',
      maxRetries: 0,
    });
    const s = openai.responses.stream({
      model: 'thinker',
      input: ask,
      reasoning: { effort: 'low', summary: 'auto' },
    });
    let summary = '';
    s.on('response.reasoning_summary_text.delta', (e) => (summary += e.delta));
    const final = await s.finalResponse();
    const reasoning = final.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.type).toBe('reasoning');
    const text = reasoning.content?.[0]?.text ?? '';
    expect(text).toMatch(/^Simulated reasoning: /);
    expect(reasoning.summary).toEqual([{ type: 'summary_text', text }]);
    expect(summary).toBe(text);
    expect(reasoning.status).toBe('completed');
    const created = await openai.responses.create({
      model: 'thinker',
      input: ask,
      reasoning: { summary: 'detailed' },
    });
    expect((created.output[0] as OpenAI.Responses.ResponseReasoningItem).summary).toEqual([
      { type: 'summary_text', text },
    ]);
  });
});
