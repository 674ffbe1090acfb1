// Custom (free-form) tools bridged to function tools for upstreams without them, and the model's
// calls named back as custom calls, whole and streamed (split at every offset), also through the
// Anthropic conversion: Claude gets a function tool, the client sees a custom call.
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../test/helpers/test-config.js';
import { recordingHttp } from '../../test/helpers/fake-http.js';
import { deploymentSchema } from '../config/deployment-schema.js';
import type { ChatChunk, ChatRequest, ChatResponse } from '../core/wire-types.js';
import { createAnthropicAdapter } from '../providers/anthropic/anthropic-adapter.js';
import {
  bridgeCustomToolsFor,
  customCallsInReply,
  customCallsInStream,
  customToolsAsFunctions,
  withCustomCalls,
} from './custom-tool-bridge.js';

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF';
const PATCH = '*** Begin Patch\n*** Add File: a "b".txt\n+héllo 😀\\n\tend\n*** End Patch';

const request = {
  model: 'm',
  messages: [
    { role: 'user', content: 'patch it' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c0', type: 'custom', custom: { name: 'apply_patch', input: 'old' } }],
    },
    { role: 'tool', tool_call_id: 'c0', content: 'Done!' },
  ],
  tools: [
    {
      type: 'custom',
      custom: {
        name: 'apply_patch',
        description: 'Edit files.',
        format: { type: 'grammar', grammar: { syntax: 'lark', definition: GRAMMAR } },
      },
    },
    { type: 'function', function: { name: 'read', parameters: { type: 'object' } } },
  ],
  tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
} as ChatRequest;

const deployment = (provider: string, capabilities = {}) =>
  deploymentSchema.parse({
    name: provider,
    provider,
    model: 'x',
    baseUrl: 'http://127.0.0.1:1',
    prices: { inputPer1M: 1, outputPer1M: 1 },
    contextWindow: 100_000,
    capabilities,
  });

describe('custom tools as function tools', () => {
  it('one string parameter, the grammar in the description; tool_choice and past calls follow', () => {
    const body = customToolsAsFunctions(request);
    expect(body.tools?.[0]).toEqual({
      type: 'function',
      function: {
        name: 'apply_patch',
        description: `Edit files.\n\nPut the tool's whole input in \`input\` as one string. It must match this lark grammar:\n${GRAMMAR}`,
        parameters: {
          type: 'object',
          properties: { input: { type: 'string', description: 'The input of apply_patch.' } },
          required: ['input'],
          additionalProperties: false,
        },
      },
    });
    expect(body.tools?.[1]).toBe(request.tools?.[1]);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'apply_patch' } });
    expect(body.messages[1]).toMatchObject({
      tool_calls: [
        {
          id: 'c0',
          type: 'function',
          function: { name: 'apply_patch', arguments: '{"input":"old"}' },
        },
      ],
    });
    expect(body.messages[2]).toBe(request.messages[2]); // the tool result goes as it is
    expect(request.tools?.[0]?.type).toBe('custom'); // the client's request is left alone
  });

  it('an allowed_tools tool_choice names the bridged tool as a function', () => {
    const body = customToolsAsFunctions({
      ...request,
      tool_choice: {
        type: 'allowed_tools',
        allowed_tools: {
          mode: 'required',
          tools: [
            { type: 'custom', custom: { name: 'apply_patch' } },
            { type: 'function', function: { name: 'read' } },
          ],
        },
      },
    } as ChatRequest);
    expect(body.tool_choice).toEqual({
      type: 'allowed_tools',
      allowed_tools: {
        mode: 'required',
        tools: [
          { type: 'function', function: { name: 'apply_patch' } },
          { type: 'function', function: { name: 'read' } },
        ],
      },
    });
  });

  it('bridged only where the deployment has no custom tools (capabilities.customTools)', () => {
    expect(bridgeCustomToolsFor(request, deployment('openai')).bridged).toBeUndefined();
    expect(bridgeCustomToolsFor(request, deployment('azure')).bridged).toBeUndefined();
    expect(bridgeCustomToolsFor(request, deployment('simulated')).bridged).toBeUndefined();
    expect(bridgeCustomToolsFor(request, deployment('openai-compatible')).bridged).toEqual(
      new Set(['apply_patch']),
    );
    const said = deployment('openai-compatible', { customTools: true });
    expect(bridgeCustomToolsFor(request, said).bridged).toBeUndefined();
    expect(
      bridgeCustomToolsFor(request, deployment('openai', { customTools: false })).bridged,
    ).toEqual(new Set(['apply_patch']));
    expect(bridgeCustomToolsFor(request, claudeDeployment()).bridged).toEqual(
      new Set(['apply_patch']),
    );
  });

  it("the model's function call comes back as the custom call; other calls stay", () => {
    const reply = {
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'c1',
                type: 'function',
                function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) },
              },
              { id: 'c2', type: 'function', function: { name: 'read', arguments: '{}' } },
              { id: 'c3', type: 'function', function: { name: 'apply_patch', arguments: 'bare' } },
            ],
          },
        },
      ],
    } as unknown as ChatResponse;
    expect(
      customCallsInReply(reply, new Set(['apply_patch'])).choices[0]?.message.tool_calls,
    ).toEqual([
      { id: 'c1', type: 'custom', custom: { name: 'apply_patch', input: PATCH } },
      { id: 'c2', type: 'function', function: { name: 'read', arguments: '{}' } },
      { id: 'c3', type: 'custom', custom: { name: 'apply_patch', input: 'bare' } },
    ]);
  });
});

function chunk(delta: Record<string, unknown>, finish: string | null = null): ChatChunk {
  return {
    id: 'x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'x',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  } as ChatChunk;
}

/** The chunks of one bridged function call whose arguments are split at `at`. */
function splitCall(args: string, at: number[]): ChatChunk[] {
  const cuts = [0, ...at, args.length];
  const out = [chunk({ role: 'assistant', content: null })];
  cuts.slice(1).forEach((end, i) => {
    const piece = args.slice(cuts[i], end);
    out.push(
      chunk({
        tool_calls: [
          i === 0
            ? {
                index: 0,
                id: 'c1',
                type: 'function',
                function: { name: 'apply_patch', arguments: piece },
              }
            : { index: 0, function: { arguments: piece } },
        ],
      }),
    );
  });
  out.push(chunk({}, 'tool_calls'));
  return out;
}

async function collect(chunks: ChatChunk[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const c of customCallsInStream(source(), new Set(['apply_patch'])))
    for (const tc of (c.choices[0]?.delta?.tool_calls ?? []) as unknown as Record<
      string,
      unknown
    >[])
      out.push(tc);
  return out;
}

const inputOf = (deltas: Record<string, unknown>[]) =>
  deltas.map((d) => (d.custom as { input?: string }).input ?? '').join('');

describe('streamed calls of bridged tools', () => {
  it('stream as custom calls, the input decoded as it comes, at every split of the arguments', async () => {
    const args = JSON.stringify({ input: PATCH });
    for (let at = 0; at <= args.length; at++) {
      const deltas = await collect(splitCall(args, [at]));
      expect(deltas[0]).toMatchObject({
        index: 0,
        id: 'c1',
        type: 'custom',
        custom: { name: 'apply_patch' },
      });
      expect(inputOf(deltas)).toBe(PATCH);
    }
    // One character a piece: the input streams, not only at the end.
    const pieces = await collect(splitCall(args, [...args].map((_, i) => i + 1).slice(0, -1)));
    expect(pieces.filter((d) => (d.custom as { input?: string }).input).length).toBeGreaterThan(10);
    expect(inputOf(pieces)).toBe(PATCH);
  });

  it('arguments of another shape are read whole when the call ends', async () => {
    const args = ' { "other": 1, "input": "x y" }';
    const deltas = await collect(splitCall(args, [3, 9]));
    expect(inputOf(deltas)).toBe('x y');
    expect(inputOf(await collect(splitCall('not json', [4])))).toBe('not json');
  });

  it('a stream cut short before its finish reason still hands over what input is left', async () => {
    const args = '{"other": "a"}';
    const chunks = splitCall(args, [5]).slice(0, -1);
    expect(inputOf(await collect(chunks))).toBe(args);
  });
});

describe('through the Anthropic conversion', () => {
  const claude = claudeDeployment();
  const tools = { tools: request.tools, tool_choice: 'auto' } as Partial<ChatRequest>;
  const ask = (stream: boolean) =>
    ({ ...request, ...tools, stream, messages: request.messages.slice(0, 1) }) as ChatRequest;

  it('Claude gets a function tool; the client sees a custom call', async () => {
    const reply = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'apply_patch', input: { input: PATCH } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    const { http, sent } = recordingHttp(JSON.stringify(reply));
    const { body, bridged } = bridgeCustomToolsFor(ask(false), claude);
    const adapter = withCustomCalls(createAnthropicAdapter(claude, http, {}), bridged!);
    const { response } = await adapter.chat({
      deployment: claude,
      body,
      signal: new AbortController().signal,
      requestId: 'r',
    });
    const toClaude = JSON.parse(sent[0]!.body) as { tools: Record<string, unknown>[] };
    expect(toClaude.tools[0]).toMatchObject({
      name: 'apply_patch',
      input_schema: { properties: { input: { type: 'string' } }, required: ['input'] },
    });
    expect(String(toClaude.tools[0]?.description)).toContain(GRAMMAR);
    expect(response.choices[0]?.message.tool_calls).toEqual([
      { id: 'toolu_1', type: 'custom', custom: { name: 'apply_patch', input: PATCH } },
    ]);
  });

  it("streamed: Claude's input_json_delta pieces become the custom call's input pieces", async () => {
    const json = JSON.stringify({ input: PATCH });
    const events = [
      {
        type: 'message_start',
        message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 3, output_tokens: 0 } },
      },
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'apply_patch', input: {} },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: json.slice(0, 14) },
      },
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: json.slice(14) },
      },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
      { type: 'message_stop' },
    ];
    const sse = events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('');
    const { http } = recordingHttp(sse);
    const { body, bridged } = bridgeCustomToolsFor(ask(true), claude);
    const adapter = withCustomCalls(createAnthropicAdapter(claude, http, {}), bridged!);
    const stream = await adapter.chatStream({
      deployment: claude,
      body,
      signal: new AbortController().signal,
      requestId: 'r',
    });
    const deltas: Record<string, unknown>[] = [];
    let finish: string | null = null;
    for await (const c of stream.chunks) {
      finish = c.choices[0]?.finish_reason ?? finish;
      deltas.push(
        ...((c.choices[0]?.delta?.tool_calls ?? []) as unknown as Record<string, unknown>[]),
      );
    }
    expect(deltas[0]).toMatchObject({
      id: 'toolu_1',
      type: 'custom',
      custom: { name: 'apply_patch' },
    });
    expect(inputOf(deltas)).toBe(PATCH);
    expect(finish).toBe('tool_calls');
  });
});
