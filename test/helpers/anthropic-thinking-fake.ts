// A loopback Anthropic Messages API that enforces Anthropic's extended-thinking rules (its docs,
// "Extended thinking" with tool use): a tool loop's last tool call must come back with its signed
// thinking, unchanged, and thinking does not go with a forced tool. It thinks (when asked), then
// calls the `read` tool or, once given the tool's result, answers 'Fixed.'; as one Message or
// streamed in pieces. `/v1/chat/completions` answers as an OpenAI-format model calling the same
// tool (no thinking of Claude's), so routing between the two can be tested.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ConfigInput } from '../../src/config/schema.js';
import { readJsonBody } from './fake-http.js';
import { spawnServer, type SpawnedServer } from './spawn-server.js';
import { testConfigInput } from './test-config.js';

type Json = Record<string, unknown>;

/** The signature the fake signs its thinking with, and checks on the way back. */
export const SIGNATURE = 'sig-from-upstream';
/** What the fake thinks, streamed in the pieces of THINKING_PIECES. */
export const THINKING = 'Read the file first.';
const THINKING_PIECES = ['Read the ', 'file first.'];

export interface AnthropicThinkingFake {
  /** `http://127.0.0.1:<port>`: an anthropic deployment's baseUrl; `${base}/v1` an openai one's. */
  base: string;
  /** The bodies the Anthropic endpoint received, in order (cleared by the tests). */
  received: Json[];
  close(): Promise<void>;
}

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
    if (first.type === 'thinking' && (first.signature !== SIGNATURE || first.thinking !== THINKING))
      return `messages.${messages.length - 2}.content.0: Invalid \`signature\` in \`thinking\` block`;
  }
  return undefined;
}

function answer(body: Json): Json[] {
  const messages = body.messages as { role: string; content: Json[] }[];
  const answering = messages.at(-1)!.content.some((b) => b.type === 'tool_result');
  const blocks: Json[] = body.thinking
    ? [{ type: 'thinking', thinking: THINKING, signature: SIGNATURE }]
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
      for (const piece of THINKING_PIECES)
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

/** An OpenAI-format model's answer: it calls the same tool, with no thinking of Claude's. */
const OPENAI_TOOL_CALL = {
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
};

/** Starts the fake on a free loopback port. */
export async function startAnthropicThinkingFake(): Promise<AnthropicThinkingFake> {
  const received: Json[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    if (req.url === '/v1/chat/completions') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(OPENAI_TOOL_CALL));
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The fake's two deployments: `claude` (anthropic, reasoning) and `gpt` (openai). */
export function thinkingFakeDeployments(base: string) {
  const common = {
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200_000,
    maxOutputTokens: 16_384,
  };
  return [
    {
      name: 'claude',
      provider: 'anthropic' as const,
      model: 'claude-sonnet-4-5',
      baseUrl: base,
      capabilities: { reasoning: true, tools: true },
      ...common,
    },
    {
      name: 'gpt',
      provider: 'openai' as const,
      model: 'gpt-4.1',
      baseUrl: `${base}/v1`,
      ...common,
    },
  ];
}

/** The BUILT router in front of the fake (routers `model-router` over `claude` and `gpt`). */
export interface ThinkingRouter {
  fake: AnthropicThinkingFake;
  server: SpawnedServer;
  /** Clients of the router: Anthropic's and OpenAI's SDK, with no retries. */
  anthropic: Anthropic;
  openai: OpenAI;
  /** Stops the router, then the fake. */
  stop(): Promise<void>;
}

/** Starts the fake and the built router over it, with `extra` (cache, content filter…) merged. */
export async function startThinkingRouter(
  extra: Partial<ConfigInput> = {},
): Promise<ThinkingRouter> {
  const fake = await startAnthropicThinkingFake();
  const server = await spawnServer(
    testConfigInput({
      deployments: thinkingFakeDeployments(fake.base),
      routers: [{ name: 'model-router', modelSubset: ['claude', 'gpt'] }],
      ...extra,
    }),
  ).catch(async (err: unknown) => {
    await fake.close();
    throw err;
  });
  return {
    fake,
    server,
    anthropic: new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 }),
    openai: new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 }),
    stop: async () => {
      await server.stop();
      await fake.close();
    },
  };
}
