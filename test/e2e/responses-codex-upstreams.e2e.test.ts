// The Codex CLI's requests (0.171, shapes captured against the router) through the BUILT router to
// real-shaped upstreams, with the official `openai` SDK: a loopback fake that speaks OpenAI's
// Responses API (SSE events as OpenAI sends them: reasoning items with encrypted content, a
// function call of a namespace member) and Chat Completions. A `responsesApi` deployment gets
// Codex's request as sent and its events come back as they came; a chat-only deployment runs the
// same tool loop bridged, with Codex's `prompt_cache_key` reaching it.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;
const received: { path: string; body: Json }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

const ENCRYPTED = 'gAAAAABo-encrypted-reasoning';

/** OpenAI's events for a reasoning item then a call of `multi_agent_v1.close_agent`, or a text. */
function streamResponse(res: ServerResponse, answering: boolean) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let seq = 0;
  const send = (e: Json) =>
    res.write(
      `event: ${String(e.type)}\ndata: ${JSON.stringify({ ...e, sequence_number: seq++ })}\n\n`,
    );
  const reasoning = {
    type: 'reasoning',
    id: 'rs_up',
    summary: [{ type: 'summary_text', text: 'Close it.' }],
    encrypted_content: ENCRYPTED,
  };
  const last = answering
    ? {
        type: 'message',
        id: 'msg_up',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Closed.', annotations: [] }],
      }
    : {
        type: 'function_call',
        id: 'fc_up',
        call_id: 'call_up',
        namespace: 'multi_agent_v1',
        name: 'close_agent',
        arguments: '{"id":"a1"}',
        status: 'completed',
      };
  const base = { id: 'resp_up', object: 'response', model: 'gpt-5.1-codex', output: [] };
  send({ type: 'response.created', response: { ...base, status: 'in_progress' } });
  send({
    type: 'response.output_item.added',
    output_index: 0,
    item: { ...reasoning, summary: [] },
  });
  send({ type: 'response.output_item.done', output_index: 0, item: reasoning });
  send({ type: 'response.output_item.added', output_index: 1, item: last });
  send({ type: 'response.output_item.done', output_index: 1, item: last });
  send({
    type: 'response.completed',
    response: {
      ...base,
      status: 'completed',
      output: [reasoning, last],
      usage: {
        input_tokens: 5000,
        input_tokens_details: { cached_tokens: 4096 },
        output_tokens: 60,
        output_tokens_details: { reasoning_tokens: 32 },
        total_tokens: 5060,
      },
    },
  });
  res.end();
}

/** A chat model (o4-mini) calling `exec_command`, or answering once it has the output. */
function chatAnswer(body: Json): Json {
  const answering = (body.messages as { role: string }[]).at(-1)!.role === 'tool';
  const message = answering
    ? { role: 'assistant', content: 'It says hello.' }
    : {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_c1',
            type: 'function',
            function: { name: 'exec_command', arguments: '{"cmd":"cat notes.txt"}' },
          },
        ],
      };
  return {
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: 'o4-mini',
    choices: [{ index: 0, message, finish_reason: answering ? 'stop' : 'tool_calls' }],
    usage: {
      prompt_tokens: 3000,
      completion_tokens: 20,
      total_tokens: 3020,
      prompt_tokens_details: { cached_tokens: 2048 },
      completion_tokens_details: { reasoning_tokens: 8 },
    },
  };
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push({ path: req.url ?? '', body });
    if (req.url === '/v1/responses') {
      const input = body.input as Json[];
      return streamResponse(res, input.at(-1)?.type === 'function_call_output');
    }
    const answer = chatAnswer(body);
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(answer));
    }
    // Streamed as OpenAI does: the message as one delta, then the finish, then the usage.
    const { choices, usage, ...head } = answer as { choices: Json[]; usage: Json };
    const choice = choices[0] as { message: Json; finish_reason: string };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (rest: Json) =>
      res.write(
        `data: ${JSON.stringify({ ...head, object: 'chat.completion.chunk', ...rest })}\n\n`,
      );
    const calls = (choice.message.tool_calls as Json[] | undefined)?.map((c, index) => ({
      index,
      ...c,
    }));
    chunk({
      choices: [{ index: 0, delta: { ...choice.message, tool_calls: calls }, finish_reason: null }],
    });
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }] });
    chunk({ choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  const common = {
    provider: 'openai' as const,
    baseUrl: base,
    prices: { inputPer1M: 1.25, outputPer1M: 10 },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'codex-native',
          model: 'gpt-5.1-codex',
          capabilities: { reasoning: true, responsesApi: true },
          ...common,
        },
        { name: 'codex-chat', model: 'o4-mini', capabilities: { reasoning: true }, ...common },
      ],
      routers: [{ name: 'model-router', modelSubset: ['codex-native', 'codex-chat'] }],
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const tools = [
  {
    type: 'function',
    name: 'exec_command',
    description: 'Runs a command in a PTY.',
    strict: false,
    parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
  },
  {
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'Tools for spawning and managing sub-agents.',
    tools: [
      {
        type: 'function',
        name: 'close_agent',
        description: 'Close an agent.',
        strict: false,
        parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
  },
  { type: 'web_search', external_web_access: false },
] as unknown as OpenAI.Responses.Tool[];

/** Codex's request fields besides `model` and `input`, as it sends them on every turn. */
const codexFields = {
  tools,
  tool_choice: 'auto' as const,
  parallel_tool_calls: true,
  reasoning: { summary: 'auto' as const },
  store: false,
  include: ['reasoning.encrypted_content' as const],
  prompt_cache_key: '01a235ff-81e4-7942-b6a0-6845e4168d2f',
  stream: true as const,
};
const developer = {
  type: 'message' as const,
  role: 'developer' as const,
  content: [
    { type: 'input_text' as const, text: 'You are a coding agent running in the Codex CLI.' },
  ],
};

async function run(model: string, input: OpenAI.Responses.ResponseInput) {
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  const stream = await client.responses.create({
    model,
    input,
    ...codexFields,
    client_metadata: { session_id: 's1' },
  } as OpenAI.Responses.ResponseCreateParamsStreaming);
  for await (const e of stream) events.push(e);
  const done = events.find((e) => e.type === 'response.completed');
  return { events, response: (done as { response: OpenAI.Responses.Response }).response };
}

describe('Codex through the router to real-shaped upstreams', () => {
  it('a Responses upstream gets its request as sent, and its reasoning and namespaced call come back', async () => {
    received.length = 0;
    const user = {
      type: 'message' as const,
      role: 'user' as const,
      content: [{ type: 'input_text' as const, text: 'Please close the agent you spawned' }],
    };
    const first = await run('codex-native', [developer, user]);
    const sent = received[0]!;
    expect(sent.path).toBe('/v1/responses');
    expect(sent.body).toMatchObject({
      model: 'gpt-5.1-codex',
      tools,
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: codexFields.prompt_cache_key,
      reasoning: { summary: 'auto' },
      parallel_tool_calls: true,
    });
    const [reasoning, call] = first.response.output;
    expect(reasoning).toMatchObject({ type: 'reasoning', encrypted_content: ENCRYPTED });
    expect(call).toMatchObject({
      type: 'function_call',
      namespace: 'multi_agent_v1',
      name: 'close_agent',
      call_id: 'call_up',
    });
    expect(first.response.usage).toMatchObject({ input_tokens_details: { cached_tokens: 4096 } });

    // Codex's next turn sends the reasoning item and the call back as it got them.
    const second = await run('codex-native', [
      developer,
      user,
      reasoning as OpenAI.Responses.ResponseReasoningItem,
      call as OpenAI.Responses.ResponseFunctionToolCall,
      { type: 'function_call_output', call_id: 'call_up', output: 'closed' },
    ]);
    expect(second.response.output.at(-1)).toMatchObject({ type: 'message' });
    const again = received[1]!.body.input as Json[];
    expect(again.slice(2)).toEqual([
      reasoning,
      call,
      { type: 'function_call_output', call_id: 'call_up', output: 'closed' },
    ]);
  });

  it("a chat-only deployment runs the tool loop bridged, with Codex's prompt_cache_key", async () => {
    received.length = 0;
    const user = {
      type: 'message' as const,
      role: 'user' as const,
      content: [{ type: 'input_text' as const, text: 'show me notes.txt' }],
    };
    const first = await run('codex-chat', [developer, user]);
    const call = first.response.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ name: 'exec_command', call_id: 'call_c1' });
    const second = await run('codex-chat', [
      developer,
      user,
      ...first.response.output,
      { type: 'function_call_output', call_id: 'call_c1', output: 'hello' },
    ] as OpenAI.Responses.ResponseInput);
    expect(second.response.output.at(-1)).toMatchObject({
      type: 'message',
      content: [{ type: 'output_text', text: 'It says hello.' }],
    });
    expect(second.response.usage).toMatchObject({
      input_tokens_details: { cached_tokens: 2048 },
      output_tokens_details: { reasoning_tokens: 8 },
    });
    const [chat1, chat2] = received.map((r) => r);
    expect(chat1!.path).toBe('/v1/chat/completions');
    expect(chat2!.body.messages).toEqual([
      { role: 'developer', content: 'You are a coding agent running in the Codex CLI.' },
      { role: 'user', content: 'show me notes.txt' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_c1',
            type: 'function',
            function: { name: 'exec_command', arguments: '{"cmd":"cat notes.txt"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_c1', content: 'hello' },
    ]);
    // OpenAI's Chat Completions takes it too: the upstream's cache hits stay with Codex's session.
    for (const r of received) expect(r.body.prompt_cache_key).toBe(codexFields.prompt_cache_key);
  });
});
