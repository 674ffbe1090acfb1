// What an Anthropic client gets from an Anthropic deployment through the BUILT router, on the way
// through chat and back: the stop sequence Claude stopped at (stop_reason "stop_sequence" and the
// sequence, JSON and streamed), and a tool_result's image reaching Claude. The deployment is a
// loopback fake of Anthropic's API that records what it received.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const received: Record<string, unknown>[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: Anthropic;

const USAGE = { input_tokens: 12, output_tokens: 3 };

/** Anthropic's stream for a text answer that stopped at `###` (CONTRACTS.md §4.4). */
function stoppedStream(): string {
  const events: [string, Record<string, unknown>][] = [
    [
      'message_start',
      {
        message: {
          id: 'msg_up',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5-20250929',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, output_tokens: 1 },
        },
      },
    ],
    ['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'One, two' } }],
    ['content_block_stop', { index: 0 }],
    [
      'message_delta',
      {
        delta: { stop_reason: 'stop_sequence', stop_sequence: '###' },
        usage: { output_tokens: 3 },
      },
    ],
    ['message_stop', {}],
  ];
  return events
    .map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join('');
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push(body);
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return res.end(stoppedStream());
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'msg_up',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [{ type: 'text', text: 'One, two' }],
        stop_reason: 'stop_sequence',
        stop_sequence: '###',
        usage: USAGE,
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  server = await spawnServer(
    testConfigInput({
      deployments: [
        {
          name: 'claude',
          provider: 'anthropic',
          model: 'claude-sonnet-4-5',
          baseUrl: base,
          prices: { inputPer1M: 3, outputPer1M: 15 },
          contextWindow: 200_000,
          maxOutputTokens: 8192,
          capabilities: { vision: true },
        },
      ],
      routers: [{ name: 'model-router', modelSubset: ['claude'] }],
    }),
  );
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('an Anthropic deployment through the router, to an Anthropic client', () => {
  it('says which stop sequence Claude stopped at, JSON and streamed (it said end_turn, null)', async () => {
    const ask = {
      model: 'claude',
      max_tokens: 100,
      stop_sequences: ['###'],
      messages: [{ role: 'user' as const, content: 'Count to three, then write ###' }],
    };
    const msg = await client.messages.create(ask);
    expect(received.at(-1)?.stop_sequences).toEqual(['###']);
    expect(msg.stop_reason).toBe('stop_sequence');
    expect(msg.stop_sequence).toBe('###');
    const streamed = await client.messages.stream(ask).finalMessage();
    expect(streamed.stop_reason).toBe('stop_sequence');
    expect(streamed.stop_sequence).toBe('###');
    expect(streamed.content).toMatchObject([{ type: 'text', text: 'One, two' }]);
  });

  it("a tool_result's image reaches Claude after the tool_result block (it was dropped)", async () => {
    const png = 'iVBORw0KGgo=';
    await client.messages.create({
      model: 'model-router',
      max_tokens: 100,
      messages: [
        { role: 'user', content: 'What is in a.png?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'read', input: { path: 'a.png' } }],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [
                { type: 'text', text: 'a.png' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
              ],
            },
          ],
        },
      ],
      tools: [{ name: 'read', input_schema: { type: 'object' } }],
    });
    const turn = (received.at(-1)?.messages as { content: Record<string, unknown>[] }[]).at(-1);
    expect(turn?.content.map((b) => b.type)).toEqual(['tool_result', 'text', 'image']);
    expect(turn?.content[0]).toMatchObject({ tool_use_id: 'toolu_1', content: 'a.png' });
    expect(turn?.content[2]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: png },
    });
  });
});
