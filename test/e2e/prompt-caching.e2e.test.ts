// Anthropic prompt caching through the BUILT router: the official `@anthropic-ai/sdk` sends a
// Claude Code-style request with `cache_control` breakpoints; an `anthropic` deployment (a
// loopback fake of Anthropic's API that records what it received) gets them where the client set
// them, and the client gets the cache writes and reads back in the usage. The same request sent to
// an `openai` deployment (a loopback fake of Chat Completions) reaches it without them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const received: { path: string; body: Record<string, unknown> }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: Anthropic;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push({ path: req.url ?? '', body });
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/v1/messages')
      return res.end(
        JSON.stringify({
          id: 'msg_upstream',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [{ type: 'text', text: 'Fixed.' }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: {
            input_tokens: 12,
            cache_creation_input_tokens: 3000,
            cache_read_input_tokens: 9000,
            output_tokens: 4,
          },
        }),
      );
    res.end(
      JSON.stringify({
        id: 'chatcmpl-upstream',
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'gpt-4.1-upstream',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Fixed.' }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 2, total_tokens: 22 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const common = {
    prices: { inputPer1M: 3, outputPer1M: 15 },
    contextWindow: 200_000,
    maxOutputTokens: 8192,
    capabilities: { vision: true },
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: base,
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

const EPHEMERAL = { type: 'ephemeral' as const };
const request = (model: string): Anthropic.MessageCreateParamsNonStreaming => ({
  model,
  max_tokens: 512,
  system: [
    { type: 'text', text: 'You are a coding agent.' },
    { type: 'text', text: 'Long project instructions.', cache_control: EPHEMERAL },
  ],
  tools: [{ name: 'read', input_schema: { type: 'object' }, cache_control: EPHEMERAL }],
  messages: [
    { role: 'user', content: 'Fix the bug.' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'read', input: {} }] },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'tu_1',
          content: 'file text',
          cache_control: EPHEMERAL,
        },
      ],
    },
  ],
});

describe('prompt caching through the router', () => {
  it('reaches an Anthropic deployment where the client set it, and reports cache use back', async () => {
    received.length = 0;
    const msg = await client.messages.create(request('claude'));
    expect(msg.usage).toMatchObject({
      input_tokens: 12,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 9000,
      output_tokens: 4,
    });
    expect(received).toHaveLength(1);
    const sent = received[0]!.body;
    expect(received[0]!.path).toBe('/v1/messages');
    expect(sent.system).toEqual([
      { type: 'text', text: 'You are a coding agent.' },
      { type: 'text', text: 'Long project instructions.', cache_control: EPHEMERAL },
    ]);
    expect(sent.tools).toEqual([
      { name: 'read', input_schema: { type: 'object' }, cache_control: EPHEMERAL },
    ]);
    expect((sent.messages as { content: unknown[] }[]).at(-1)!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'tu_1', content: 'file text', cache_control: EPHEMERAL },
    ]);
  });

  it("Claude Code's next turn: the turn it cached reaches Claude as the same blocks", async () => {
    // As Claude Code sends them: its first turn is several text blocks with the last marked; on
    // the next turn the mark has moved to the tool result and the first turn is unmarked.
    const firstTurn = [
      { type: 'text' as const, text: '<system-reminder>Today is 2026-12-02.</system-reminder>' },
      { type: 'text' as const, text: 'read the file notes.txt' },
    ];
    received.length = 0;
    await client.messages.create({
      model: 'claude',
      max_tokens: 512,
      messages: [
        { role: 'user', content: [firstTurn[0]!, { ...firstTurn[1]!, cache_control: EPHEMERAL }] },
      ],
    });
    await client.messages.create({
      model: 'claude',
      max_tokens: 512,
      messages: [
        { role: 'user', content: firstTurn },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'Read', input: { path: 'notes.txt' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'tu_1',
              content: 'hello',
              cache_control: EPHEMERAL,
            },
          ],
        },
      ],
    });
    const [cached, next] = received.map((r) => (r.body.messages as { content: unknown }[])[0]);
    expect(cached!.content).toEqual([firstTurn[0], { ...firstTurn[1], cache_control: EPHEMERAL }]);
    expect(next!.content).toEqual(firstTurn);
  });

  it("opencode's marks on an assistant turn's tool_use reach Claude on that block", async () => {
    // As opencode (the Vercel AI SDK's Anthropic provider) sends a tool loop's next turn: it marks
    // the system prompt and its last two messages, here an assistant turn with text and a
    // tool_use, and the tool result after it.
    const toolUse = {
      type: 'tool_use' as const,
      id: 'toolu_01',
      name: 'read',
      input: { filePath: 'src/a.ts' },
    };
    const body = (model: string) => ({
      model,
      max_tokens: 512,
      system: [{ type: 'text' as const, text: 'You are opencode.', cache_control: EPHEMERAL }],
      tools: [{ name: 'read', input_schema: { type: 'object' as const } }],
      messages: [
        { role: 'user' as const, content: [{ type: 'text' as const, text: 'Read src/a.ts.' }] },
        {
          role: 'assistant' as const,
          content: [
            { type: 'text' as const, text: 'I will read it.' },
            { ...toolUse, cache_control: EPHEMERAL },
          ],
        },
        {
          role: 'user' as const,
          content: [
            {
              type: 'tool_result' as const,
              tool_use_id: 'toolu_01',
              content: 'export const a = 1;',
              cache_control: EPHEMERAL,
            },
          ],
        },
      ],
    });
    received.length = 0;
    await client.messages.create(body('claude'));
    expect((received[0]!.body.messages as { content: unknown[] }[])[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'I will read it.' },
        { ...toolUse, cache_control: EPHEMERAL },
      ],
    });
    expect(JSON.stringify(received[0]!.body).match(/cache_control/g)).toHaveLength(3);
    received.length = 0;
    await client.messages.create(body('gpt'));
    expect(received[0]!.path).toBe('/v1/chat/completions');
    expect(JSON.stringify(received[0]!.body)).not.toContain('cache_control');
  });

  it('never reaches an OpenAI-format upstream', async () => {
    received.length = 0;
    const msg = await client.messages.create(request('gpt'));
    expect(msg.content).toEqual([{ type: 'text', text: 'Fixed.', citations: null }]);
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v1/chat/completions');
    expect(JSON.stringify(received[0]!.body)).not.toContain('cache_control');
  });

  it('a PDF reaches Claude as a document block and an OpenAI deployment as a file part', async () => {
    const PDF = 'JVBERi0xLjQK';
    received.length = 0;
    await client.messages.create({
      model: 'claude',
      max_tokens: 64,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              title: 'report.pdf',
              source: { type: 'base64', media_type: 'application/pdf', data: PDF },
              cache_control: EPHEMERAL,
            },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    });
    expect((received[0]!.body.messages as { content: unknown[] }[])[0]!.content).toEqual([
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: PDF },
        title: 'report.pdf',
        cache_control: EPHEMERAL,
      },
      { type: 'text', text: 'Summarise.' },
    ]);
    received.length = 0;
    await client.messages.create({
      model: 'gpt',
      max_tokens: 64,
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: PDF },
            },
          ],
        },
      ],
    });
    expect((received[0]!.body.messages as { content: unknown[] }[])[0]!.content).toEqual([
      { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}` } },
    ]);
  });

  it("an uploaded file's id is never sent to Claude", async () => {
    received.length = 0;
    const res = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'model-router',
        messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-router-deployment')).toBe('gpt');
    expect(received[0]!.path).toBe('/v1/chat/completions');
    const direct = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude',
        messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }],
      }),
    });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as { error: { message: string } }).error.message).toMatch(
      /claude: files/,
    );
  });
});

describe("OpenAI's own breakpoints (prompt_cache_breakpoint: @langchain/openai 1.6, the AI SDK)", () => {
  it('reach Claude as its cache_control marks (an hour where a lifetime is asked), an OpenAI upstream as sent', async () => {
    const openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
    // LangChain's ChatOpenAI 1.6 on Chat Completions: a breakpoint on the stable system text.
    const chat = (model: string) =>
      new ChatOpenAI({
        model,
        apiKey: 'unused',
        maxRetries: 0,
        configuration: { baseURL: `${server.baseUrl}/v1` },
      }).invoke(
        [
          new SystemMessage({
            content: [
              {
                type: 'text',
                text: 'Long project instructions.',
                prompt_cache_breakpoint: { mode: 'explicit' },
              },
            ],
          }),
          new HumanMessage('Fix the bug.'),
        ],
        { promptCacheOptions: { mode: 'explicit', ttl: '30m' } },
      );
    received.length = 0;
    await chat('claude');
    expect(received[0]!.path).toBe('/v1/messages');
    // The request's ttl (30m) is the breakpoint's, at least: Claude's hour (5 minutes is less).
    expect(received[0]!.body.system).toEqual([
      {
        type: 'text',
        text: 'Long project instructions.',
        cache_control: { ...EPHEMERAL, ttl: '1h' },
      },
    ]);
    await chat('gpt');
    expect(received[1]!.path).toBe('/v1/chat/completions');
    expect(received[1]!.body).toMatchObject({
      prompt_cache_options: { mode: 'explicit', ttl: '30m' },
      messages: [
        {
          role: 'system',
          content: [
            {
              type: 'text',
              text: 'Long project instructions.',
              prompt_cache_breakpoint: { mode: 'explicit' },
            },
          ],
        },
        { role: 'user', content: 'Fix the bug.' },
      ],
    });
    expect(JSON.stringify(received[1]!.body)).not.toContain('cache_control');

    // Claude's cache writes and reads, as LangChain (1.5.9+) reads them from the router's usage.
    const usage = (await chat('claude')).usage_metadata;
    expect(usage?.input_token_details).toMatchObject({ cache_creation: 3000, cache_read: 9000 });

    // The Responses API, bridged: a breakpoint with its own lifetime on an input_text part.
    received.length = 0;
    for (const model of ['claude', 'gpt'])
      await openai.responses.create({
        model,
        input: [
          {
            role: 'user',
            content: [
              {
                type: 'input_text',
                text: 'A long document.',
                prompt_cache_breakpoint: { mode: 'explicit', ttl: '12h' },
              } as OpenAI.Responses.ResponseInputText,
              { type: 'input_text', text: 'Summarize it.' },
            ],
          },
        ],
      });
    expect((received[0]!.body.messages as { content: unknown }[])[0]!.content).toEqual([
      { type: 'text', text: 'A long document.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'text', text: 'Summarize it.' },
    ]);
    expect((received[1]!.body.messages as { content: unknown }[])[0]!.content).toEqual([
      {
        type: 'text',
        text: 'A long document.',
        prompt_cache_breakpoint: { mode: 'explicit', ttl: '12h' },
      },
      { type: 'text', text: 'Summarize it.' },
    ]);
  });
});
