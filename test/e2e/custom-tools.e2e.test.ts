// OpenAI's custom (free-form) tools through the BUILT router with the official `openai` SDK, on
// /v1/chat/completions and /v1/responses, JSON and streamed: served by the simulated fleet (which
// calls them natively), passed untouched to an OpenAI upstream (`capabilities.customTools`), and
// bridged to a function tool for an OpenAI-compatible upstream without them, the client seeing
// custom calls every time. The upstreams are one loopback fake recording what it received.
// Before, /v1/responses refused custom tools with a 400.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;

const GRAMMAR = 'start: "*** Begin Patch" LF body "*** End Patch"';
const PATCH = '*** Begin Patch\n*** Add File: "a".txt\n+hi\n*** End Patch';
const received: { model: string; body: Json }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

/** The fake upstream's answer: a call of the request's first tool, as that tool's type calls. */
function answerCall(body: Json): { call: Json; pieces: Json[] } {
  const tool = (body.tools as Json[])[0]!;
  if (tool.type === 'custom') {
    const name = (tool.custom as Json).name;
    return {
      call: { id: 'call_up', type: 'custom', custom: { name, input: PATCH } },
      pieces: [
        { index: 0, id: 'call_up', type: 'custom', custom: { name, input: PATCH.slice(0, 7) } },
        { index: 0, custom: { input: PATCH.slice(7) } },
      ],
    };
  }
  const name = (tool.function as Json).name;
  const args = JSON.stringify({ input: PATCH });
  return {
    call: { id: 'call_up', type: 'function', function: { name, arguments: args } },
    pieces: [
      {
        index: 0,
        id: 'call_up',
        type: 'function',
        function: { name, arguments: args.slice(0, 5) },
      },
      { index: 0, function: { arguments: args.slice(5, 20) } },
      { index: 0, function: { arguments: args.slice(20) } },
    ],
  };
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push({ model: String(body.model), body });
    const base = { id: 'chatcmpl-up', created: 1, model: body.model };
    const last = (body.messages as Json[]).at(-1);
    const tools = Array.isArray(body.tools) && last?.role !== 'tool';
    const { call, pieces } = tools ? answerCall(body) : { call: undefined, pieces: [] };
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const message = call
        ? { role: 'assistant', content: null, tool_calls: [call] }
        : { role: 'assistant', content: 'Patched.' };
      return res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message, finish_reason: call ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (delta: Json, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    send({ role: 'assistant', content: call ? null : 'Patched.' });
    for (const p of pieces) send({ tool_calls: [p] });
    send({}, call ? 'tool_calls' : 'stop');
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  const config = testConfigInput();
  config.deployments.push(
    simDeployment('gpt-native', {
      provider: 'openai',
      model: 'gpt-5',
      baseUrl: base,
      apiKeyEnv: 'FAKE_UPSTREAM_KEY',
      simulation: undefined,
    }),
    simDeployment('vllm', {
      provider: 'openai-compatible',
      model: 'qwen',
      baseUrl: base,
      simulation: undefined,
    }),
  );
  server = await spawnServer(config, { FAKE_UPSTREAM_KEY: 'sk-fake' });
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const chatTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'custom',
  custom: {
    name: 'apply_patch',
    description: 'Edit files with a patch.',
    format: { type: 'grammar', grammar: { syntax: 'lark', definition: GRAMMAR } },
  },
};

type StreamedCall = { id?: string; type?: string; name: string; input: string };

async function streamedCalls(model: string): Promise<StreamedCall[]> {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Please patch the file.' }],
    tools: [chatTool],
    tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
    stream: true,
  });
  const calls: StreamedCall[] = [];
  for await (const chunk of stream)
    for (const tc of (chunk.choices[0]?.delta?.tool_calls ?? []) as unknown as Json[]) {
      const custom = tc.custom as { name?: string; input?: string } | undefined;
      const i = tc.index as number;
      calls[i] ??= { name: '', input: '' };
      if (tc.id) calls[i].id = String(tc.id);
      if (tc.type) calls[i].type = String(tc.type);
      calls[i].name += custom?.name ?? '';
      calls[i].input += custom?.input ?? '';
      expect(tc.function).toBeUndefined();
    }
  return calls;
}

describe('custom tools on /v1/chat/completions', () => {
  it('the simulated fleet calls one: JSON and streamed', async () => {
    const reply = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Please patch the file.' }],
      tools: [chatTool],
      tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
    });
    expect(reply.choices[0]?.finish_reason).toBe('tool_calls');
    const call = reply.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('custom');
    expect(call?.type === 'custom' && call.custom.name).toBe('apply_patch');
    expect(call?.type === 'custom' && call.custom.input).toMatch(
      /^simulated input for apply_patch \([0-9a-f]+\): Please patch the file\.$/,
    );
    const [streamed] = await streamedCalls('model-router');
    expect(streamed).toMatchObject({ type: 'custom', name: 'apply_patch' });
    expect(streamed?.input).toMatch(/^simulated input for apply_patch/);
  });

  it('an OpenAI upstream gets the custom tool untouched, and its custom call comes through', async () => {
    received.length = 0;
    const reply = await client.chat.completions.create({
      model: 'gpt-native',
      messages: [{ role: 'user', content: 'Please patch the file.' }],
      tools: [chatTool],
      tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
    });
    expect(received[0]?.body.tools).toEqual([chatTool]);
    expect(received[0]?.body.tool_choice).toEqual({
      type: 'custom',
      custom: { name: 'apply_patch' },
    });
    expect(reply.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_up', type: 'custom', custom: { name: 'apply_patch', input: PATCH } },
    ]);
    const [streamed] = await streamedCalls('gpt-native');
    expect(received[1]?.body.tools).toEqual([chatTool]);
    expect(streamed).toEqual({ id: 'call_up', type: 'custom', name: 'apply_patch', input: PATCH });
  });

  it('an upstream without custom tools gets a function tool; the client sees custom calls, both ways', async () => {
    received.length = 0;
    const reply = await client.chat.completions.create({
      model: 'vllm',
      messages: [{ role: 'user', content: 'Please patch the file.' }],
      tools: [chatTool],
      tool_choice: { type: 'custom', custom: { name: 'apply_patch' } },
    });
    const sent = received[0]!.body;
    expect(sent.tools).toMatchObject([
      {
        type: 'function',
        function: {
          name: 'apply_patch',
          parameters: { properties: { input: { type: 'string' } }, required: ['input'] },
        },
      },
    ]);
    expect(JSON.stringify(sent.tools)).toContain('lark grammar');
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'apply_patch' } });
    const call = reply.choices[0]?.message.tool_calls?.[0];
    expect(call).toEqual({
      id: 'call_up',
      type: 'custom',
      custom: { name: 'apply_patch', input: PATCH },
    });

    const [streamed] = await streamedCalls('vllm');
    expect(streamed).toEqual({ id: 'call_up', type: 'custom', name: 'apply_patch', input: PATCH });

    // The next turn: the custom call and its result go up as the function call and its result.
    const second = await client.chat.completions.create({
      model: 'vllm',
      messages: [
        { role: 'user', content: 'Please patch the file.' },
        { role: 'assistant', content: null, tool_calls: [call!] },
        { role: 'tool', tool_call_id: 'call_up', content: 'Done!' },
      ],
      tools: [chatTool],
    });
    expect(second.choices[0]?.message.content).toBe('Patched.');
    const history = received.at(-1)!.body.messages as Json[];
    expect(history[1]).toMatchObject({
      role: 'assistant',
      tool_calls: [
        {
          id: 'call_up',
          type: 'function',
          function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) },
        },
      ],
    });
    expect(history[2]).toEqual({ role: 'tool', tool_call_id: 'call_up', content: 'Done!' });
  });

  it('a tool_choice naming a custom tool the request does not offer is a 400', async () => {
    await expect(
      client.chat.completions.create({
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [chatTool],
        tool_choice: { type: 'custom', custom: { name: 'other' } },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tool_choice' });
    await expect(
      client.chat.completions.create({
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          {
            type: 'custom',
            custom: { name: 'x', format: { type: 'grammar' } },
          } as unknown as OpenAI.Chat.ChatCompletionTool,
        ],
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tools[0].custom.format' });
  });
});

const responsesTools: OpenAI.Responses.Tool[] = [
  {
    type: 'custom',
    name: 'apply_patch',
    description: 'Edit files with a patch.',
    format: { type: 'grammar', syntax: 'lark', definition: GRAMMAR },
  },
];

describe('custom tools on /v1/responses', () => {
  it('a custom_tool_call comes back, and goes back in with its output for the next turn', async () => {
    const first = await client.responses.create({
      model: 'model-router',
      input: 'Please patch the file.',
      tools: responsesTools,
      tool_choice: { type: 'custom', name: 'apply_patch' },
      store: false,
    });
    const call = first.output.find((o) => o.type === 'custom_tool_call');
    expect(call).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch' });
    expect((call as { input: string }).input).toMatch(/^simulated input for apply_patch/);
    expect(call?.id).toMatch(/^ctc_/);

    const second = await client.responses.create({
      model: 'model-router',
      input: [
        { role: 'user', content: 'Please patch the file.' },
        call as OpenAI.Responses.ResponseCustomToolCall,
        {
          type: 'custom_tool_call_output',
          call_id: (call as { call_id: string }).call_id,
          output: 'Done!',
        },
      ],
      tools: responsesTools,
      store: false,
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  it('streams the call with custom_tool_call_input events', async () => {
    const stream = await client.responses.create({
      model: 'model-router',
      input: 'Please patch the file.',
      tools: responsesTools,
      tool_choice: { type: 'custom', name: 'apply_patch' },
      stream: true,
    });
    const types: string[] = [];
    let input = '';
    let done: string | undefined;
    let final: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === 'response.custom_tool_call_input.delta') input += e.delta;
      if (e.type === 'response.custom_tool_call_input.done') done = e.input;
      if (e.type === 'response.completed') final = e.response;
    }
    expect(types).not.toContain('response.function_call_arguments.delta');
    expect(input).toMatch(/^simulated input for apply_patch/);
    expect(done).toBe(input);
    expect(final?.output.find((o) => o.type === 'custom_tool_call')).toMatchObject({
      name: 'apply_patch',
      input,
      status: 'completed',
    });
  });

  it('a custom tool in a namespace comes back with its namespace', async () => {
    const first = await client.responses.create({
      model: 'model-router',
      input: 'Please patch the file.',
      tools: [
        {
          type: 'namespace',
          name: 'files',
          description: 'File tools.',
          tools: [{ type: 'custom', name: 'apply_patch' }],
        } as unknown as OpenAI.Responses.Tool,
      ],
      tool_choice: 'required',
    });
    expect(first.output.find((o) => o.type === 'custom_tool_call')).toMatchObject({
      namespace: 'files',
      name: 'apply_patch',
    });
  });

  it('bridged twice for a chat upstream without custom tools: a function tool up, a custom_tool_call back', async () => {
    received.length = 0;
    const reply = await client.responses.create({
      model: 'vllm',
      input: 'Please patch the file.',
      tools: responsesTools,
    });
    expect(received[0]?.body.tools).toMatchObject([
      { type: 'function', function: { name: 'apply_patch' } },
    ]);
    expect(reply.output).toMatchObject([
      { type: 'custom_tool_call', call_id: 'call_up', name: 'apply_patch', input: PATCH },
    ]);
    const stream = await client.responses.create({
      model: 'vllm',
      input: 'Please patch the file.',
      tools: responsesTools,
      stream: true,
    });
    let input = '';
    for await (const e of stream)
      if (e.type === 'response.custom_tool_call_input.delta') input += e.delta;
    expect(input).toBe(PATCH);
  });
});
