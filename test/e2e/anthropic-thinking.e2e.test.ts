// Claude's extended thinking with tools through the BUILT router, as Claude Code uses it: the
// official `@anthropic-ai/sdk` asks an `anthropic` deployment (a loopback fake that enforces
// Anthropic's rules: a tool loop's last tool call must come back with its signed thinking, and
// thinking does not go with a forced tool) for a tool call with thinking on, as one Message and
// streamed, then sends the tool's result back. The thinking reaches the client as Claude's blocks
// and goes back upstream with its signature, so the loop goes on; a loop whose tool call another
// model made is served without thinking, with a warning, instead of Anthropic's 400. An
// OpenAI-format client gets the same thinking as `reasoning_details`, streamed in pieces.
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

type Json = Record<string, unknown>;
const SIGNATURE = 'sig-from-upstream';
const received: Json[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: Anthropic;

function refuse(res: ServerResponse, message: string) {
  res.writeHead(400, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
}

/** What Anthropic's API would refuse of a request with thinking on (its docs' rules). */
function anthropicRule(body: Json): string | undefined {
  if (!body.thinking) return undefined;
  const tc = body.tool_choice as { type?: string } | undefined;
  if (tc?.type === 'any' || tc?.type === 'tool')
    return 'Thinking may not be enabled when tool_choice forces tool use.';
  const messages = body.messages as { role: string; content: Json[] }[];
  const last = messages.at(-1)!;
  if (last.role === 'user' && last.content.some((b) => b.type === 'tool_result')) {
    const call = messages.at(-2)!;
    const first = call.content[0]!;
    if (first.type !== 'thinking' && first.type !== 'redacted_thinking')
      return `messages.${messages.length - 2}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block.`;
    if (first.type === 'thinking' && first.signature !== SIGNATURE)
      return `messages.${messages.length - 2}.content.0: Invalid \`signature\` in \`thinking\` block`;
  }
  return undefined;
}

function answer(body: Json): Json[] {
  const messages = body.messages as { role: string; content: Json[] }[];
  const answering = messages.at(-1)!.content.some((b) => b.type === 'tool_result');
  const blocks: Json[] = body.thinking
    ? [{ type: 'thinking', thinking: 'Read the file first.', signature: SIGNATURE }]
    : [];
  if (answering || !body.tools) blocks.push({ type: 'text', text: 'Fixed.' });
  else blocks.push({ type: 'tool_use', id: 'toolu_1', name: 'read', input: { path: 'a.ts' } });
  return blocks;
}

function streamAnswer(res: ServerResponse, blocks: Json[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (data: Json) =>
    res.write(`event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`);
  send({
    type: 'message_start',
    message: {
      id: 'msg_up',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [],
      stop_reason: null,
      usage: { input_tokens: 20, output_tokens: 1 },
    },
  });
  blocks.forEach((b, index) => {
    if (b.type === 'thinking') {
      send({
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '' },
      });
      for (const piece of ['Read the ', 'file first.'])
        send({
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking: piece },
        });
      send({
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: SIGNATURE },
      });
    } else if (b.type === 'text') {
      send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } });
    } else {
      send({ type: 'content_block_start', index, content_block: { ...b, input: {} } });
      send({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
      });
    }
    send({ type: 'content_block_stop', index });
  });
  const toolUse = blocks.some((b) => b.type === 'tool_use');
  send({
    type: 'message_delta',
    delta: { stop_reason: toolUse ? 'tool_use' : 'end_turn' },
    usage: { output_tokens: 30 },
  });
  send({ type: 'message_stop' });
  res.end();
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    if (req.url === '/v1/chat/completions') {
      // An OpenAI-format model that calls the same tool (no thinking of Claude's).
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          id: 'chatcmpl-up',
          object: 'chat.completion',
          created: 1_760_000_000,
          model: 'gpt-4.1',
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'read', arguments: '{"path":"a.ts"}' },
                  },
                ],
              },
            },
          ],
          usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
        }),
      );
    }
    received.push(body);
    const broken = anthropicRule(body);
    if (broken) return refuse(res, broken);
    const blocks = answer(body);
    if (body.stream) return streamAnswer(res, blocks);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'msg_up',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: blocks,
        stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 20, output_tokens: 30 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200_000,
    maxOutputTokens: 16_384,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: base,
          capabilities: { reasoning: true, tools: true },
          ...common,
        },
        { name: 'gpt', provider: 'openai', model: 'gpt-4.1', baseUrl: `${base}/v1`, ...common },
      ],
      routers: [{ name: 'model-router', modelSubset: ['claude', 'gpt'] }],
    }),
  );
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const TOOLS: Anthropic.Tool[] = [
  { name: 'read', description: 'Read a file', input_schema: { type: 'object' } },
];
const FIRST: Anthropic.MessageParam = { role: 'user', content: 'Fix the bug in a.ts.' };
const ask = (model: string, messages: Anthropic.MessageParam[]) => ({
  model,
  max_tokens: 8192,
  thinking: { type: 'enabled' as const, budget_tokens: 3000 },
  tools: TOOLS,
  messages,
});
const resultFor = (toolUseId: string): Anthropic.MessageParam => ({
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'export const a = 1;' }],
});

describe('extended thinking in a tool loop through the router', () => {
  it('one Message at a time: the thinking comes back signed and goes up again with the result', async () => {
    received.length = 0;
    const first = await client.messages.create(ask('claude', [FIRST]));
    expect(first.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
    expect(first.content[1]).toMatchObject({ type: 'tool_use', name: 'read' });
    expect(received[0]!.thinking).toEqual({ type: 'enabled', budget_tokens: 3000 });
    const toolUse = first.content[1] as Anthropic.ToolUseBlock;
    const second = await client.messages.create(
      ask('claude', [FIRST, { role: 'assistant', content: first.content }, resultFor(toolUse.id)]),
    );
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.' });
    const sentBack = (received[1]!.messages as { content: Json[] }[])[1]!.content;
    expect(sentBack[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
  });

  it('streamed: the SDK assembles the thinking block with its signature, and the loop goes on', async () => {
    received.length = 0;
    const first = await client.messages.stream(ask('claude', [FIRST])).finalMessage();
    expect(first.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Read the file first.',
      signature: SIGNATURE,
    });
    const toolUse = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(toolUse.input).toEqual({ path: 'a.ts' });
    const second = await client.messages
      .stream(
        ask('claude', [
          FIRST,
          { role: 'assistant', content: first.content },
          resultFor(toolUse.id),
        ]),
      )
      .finalMessage();
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.' });
    expect(second.stop_reason).toBe('end_turn');
  });

  it("a tool call another model made: served without thinking, and said so, not Anthropic's 400", async () => {
    received.length = 0;
    const { thinking: _off, ...plain } = ask('gpt', [FIRST]);
    const first = await client.messages.create(plain);
    const toolUse = first.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(first.content.some((b) => b.type === 'thinking')).toBe(false);
    const { data, response } = await client.messages
      .create(
        ask('claude', [
          FIRST,
          { role: 'assistant', content: first.content },
          resultFor(toolUse.id),
        ]),
      )
      .withResponse();
    expect(data.content.at(-1)).toEqual({ type: 'text', text: 'Fixed.' });
    expect(received[0]!.thinking).toBeUndefined();
    expect(response.headers.get('x-router-warnings')).toMatch(
      /reasoning_effort dropped: the tool call being answered came without Claude's thinking/,
    );
  });

  it("a forced tool: served without thinking, and said so, not Anthropic's 400", async () => {
    received.length = 0;
    const { data, response } = await client.messages
      .create({ ...ask('claude', [FIRST]), tool_choice: { type: 'any' } })
      .withResponse();
    expect(data.content.some((b) => b.type === 'tool_use')).toBe(true);
    expect(received[0]!.thinking).toBeUndefined();
    expect(response.headers.get('x-router-warnings')).toMatch(/forced tool_choice/);
  });

  it('an OpenAI-format client streams the same thinking as reasoning_details pieces, and the SDK copes', async () => {
    received.length = 0;
    const openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'medium',
      stream: true,
      tools: [{ type: 'function', function: { name: 'read', parameters: { type: 'object' } } }],
      messages: [{ role: 'user', content: 'Fix the bug in a.ts.' }],
    });
    const pieces: Record<string, unknown>[] = [];
    let calls = 0;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_details?: Record<string, unknown>[] };
      pieces.push(...(delta?.reasoning_details ?? []));
      calls += chunk.choices[0]?.delta?.tool_calls?.length ?? 0;
    }
    expect(pieces.map((p) => p.thinking ?? '').join('')).toBe('Read the file first.');
    expect(pieces.at(-1)).toMatchObject({ type: 'thinking', index: 0, signature: SIGNATURE });
    expect(calls).toBeGreaterThan(0);
    // The SDK's stream helper assembles the reply with the extra field present.
    const done = await openai.chat.completions
      .stream({
        model: 'claude',
        reasoning_effort: 'medium',
        messages: [{ role: 'user', content: 'Fix the bug in a.ts.' }],
      })
      .finalChatCompletion();
    expect(done.choices[0]!.message.content).toBe('Fixed.');
  });

  it("Anthropic's server tools get a 400 saying what to send instead", async () => {
    received.length = 0;
    const err = await client.messages
      .create({
        model: 'claude',
        max_tokens: 100,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [FIRST],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toMatch(/web_search_20250305 tool is not supported/);
    expect(received).toHaveLength(0);
  });
});
