// Claude's extended thinking on the Responses API bridge, through the BUILT router, with the
// official `openai` SDK against a loopback Anthropic that enforces the thinking rules
// (test/helpers/anthropic-thinking-fake.ts): the thinking comes back as a `reasoning` item (its
// text the summary, the signed block in `encrypted_content`), as JSON and as the documented
// reasoning summary events; a stateless tool loop (`store: false`, the items sent back) keeps
// thinking with no warning, and Anthropic accepts the signature. OpenAI's own encrypted reasoning
// is not sent to Claude.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIGNATURE,
  THINKING,
  startThinkingRouter,
  type ThinkingRouter,
} from '../helpers/anthropic-thinking-fake.js';

type Json = Record<string, unknown>;
let router: ThinkingRouter;
let client: OpenAI;

beforeAll(async () => {
  router = await startThinkingRouter();
  client = router.openai;
});

afterAll(() => router?.stop());

const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'read', parameters: { type: 'object' }, strict: false },
];
/** A stateless turn, as Codex and the Agents SDK send it with thinking on. */
const turn = (input: OpenAI.Responses.ResponseInput) => ({
  model: 'claude',
  input,
  tools,
  reasoning: { effort: 'medium' as const, summary: 'auto' as const },
  store: false,
  include: ['reasoning.encrypted_content' as const],
});
const NO_THINKING = /came without Claude's thinking/;
/** The thinking block the fake got back in the assistant turn of its last request. */
const sentBack = () =>
  (router.fake.received.at(-1)!.messages as { role: string; content: Json[] }[]).find(
    (m) => m.role === 'assistant',
  )?.content[0];

describe("Claude's thinking on the Responses API", () => {
  it('JSON: a reasoning item with the summary and encrypted content; the tool loop keeps thinking', async () => {
    const user: OpenAI.Responses.ResponseInputItem = { role: 'user', content: 'Fix a.ts.' };
    const first = await client.responses.create(turn([user]));
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.id).toMatch(/^rs_/);
    expect(reasoning.summary).toEqual([{ type: 'summary_text', text: THINKING }]);
    expect(typeof reasoning.encrypted_content).toBe('string');
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;

    router.fake.received.length = 0;
    const { data: second, response } = await client.responses
      .create(
        turn([
          user,
          ...(first.output as OpenAI.Responses.ResponseInputItem[]),
          { type: 'function_call_output', call_id: call.call_id, output: 'export const a = 1;' },
        ]),
      )
      .withResponse();
    expect(response.headers.get('x-router-warnings') ?? '').not.toMatch(NO_THINKING);
    expect(second.output_text).toBe('Fixed.');
    expect(router.fake.received[0]!.thinking).toMatchObject({ type: 'enabled' });
    expect(sentBack()).toEqual({ type: 'thinking', thinking: THINKING, signature: SIGNATURE });
    // The answering turn thought again, and says so.
    expect(second.output[0]).toMatchObject({
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: THINKING }],
    });
  });

  it('streamed: reasoning summary events the SDK assembles, and the tool loop keeps thinking', async () => {
    const user: OpenAI.Responses.ResponseInputItem = { role: 'user', content: 'Fix b.ts.' };
    const stream = client.responses.stream(turn([user]));
    const types: string[] = [];
    let summary = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.reasoning_summary_text.delta') summary += event.delta;
    }
    const first = await stream.finalResponse();
    expect(summary).toBe(THINKING);
    expect(types.slice(0, 8)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
    ]);
    expect(types[8]).toBe('response.output_item.done');
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.summary).toEqual([{ type: 'summary_text', text: THINKING }]);
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;

    router.fake.received.length = 0;
    const { data: events, response } = await client.responses
      .create({
        ...turn([
          user,
          ...(first.output as OpenAI.Responses.ResponseInputItem[]),
          { type: 'function_call_output', call_id: call.call_id, output: 'let b = 1;' },
        ]),
        stream: true,
      })
      .withResponse();
    let second: OpenAI.Responses.Response | undefined;
    for await (const event of events)
      if (event.type === 'response.completed') second = event.response;
    expect(response.headers.get('x-router-warnings') ?? '').not.toMatch(NO_THINKING);
    expect(second!.output.at(-1)).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: 'Fixed.' }],
    });
    expect(sentBack()).toEqual({ type: 'thinking', thinking: THINKING, signature: SIGNATURE });
  });

  it('stored: previous_response_id carries the thinking to the next turn', async () => {
    const first = await client.responses.create({
      ...turn([{ role: 'user', content: 'Fix e.ts.' }]),
      store: true,
    });
    const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    router.fake.received.length = 0;
    const { data: second, response } = await client.responses
      .create({
        ...turn([{ type: 'function_call_output', call_id: call.call_id, output: 'e = 1' }]),
        store: true,
        previous_response_id: first.id,
      })
      .withResponse();
    expect(response.headers.get('x-router-warnings') ?? '').not.toMatch(NO_THINKING);
    expect(second.output_text).toBe('Fixed.');
    expect(sentBack()).toEqual({ type: 'thinking', thinking: THINKING, signature: SIGNATURE });
  });

  it('input_items lists the reasoning items the client sent, where it sent them', async () => {
    const user: OpenAI.Responses.ResponseInputItem = { role: 'user', content: 'Fix f.ts.' };
    const first = await client.responses.create(turn([user]));
    const [reasoning, call] = first.output as [
      OpenAI.Responses.ResponseReasoningItem,
      OpenAI.Responses.ResponseFunctionToolCall,
    ];
    const second = await client.responses.create({
      ...turn([
        user,
        reasoning,
        call,
        { type: 'function_call_output', call_id: call.call_id, output: 'f = 1' },
      ]),
      store: true,
    });
    const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual([
      'message',
      'reasoning',
      'function_call',
      'function_call_output',
    ]);
    expect(items.data[1]).toMatchObject({
      type: 'reasoning',
      id: expect.stringMatching(/^rs_/),
      summary: [{ type: 'summary_text', text: THINKING }],
      encrypted_content: reasoning.encrypted_content,
    });
  });

  it("OpenAI's own encrypted reasoning is not sent to Claude; a changed item of ours is a 400", async () => {
    router.fake.received.length = 0;
    const openAis: OpenAI.Responses.ResponseInputItem = {
      type: 'reasoning',
      id: 'rs_openai',
      summary: [],
      encrypted_content: 'gAAAAABo-openai-encrypted',
    };
    const r = await client.responses.create(
      turn([
        { role: 'user', content: 'Hi.' },
        openAis,
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Fix c.ts.' },
      ]),
    );
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
    expect(sentBack()).toEqual({ type: 'text', text: 'Hello.' });

    const first = await client.responses.create(turn([{ role: 'user', content: 'Fix d.ts.' }]));
    const ours = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    const err = await client.responses
      .create(
        turn([
          { role: 'user', content: 'Fix d.ts.' },
          { ...ours, encrypted_content: `${ours.encrypted_content!.slice(0, -4)}!!!!` },
        ]),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      'input[1].encrypted_content',
    );
  });
});
