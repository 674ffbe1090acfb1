// Claude's own reply fields through the BUILT router to the official @anthropic-ai/sdk client: a
// refusal's `stop_details`, the code-execution `container`, and usage's `inference_geo`, tier and
// cache split, JSON and streamed (they came back null whoever served), and a malformed
// `fallbacks` entry refused in Anthropic's shape (it went to Claude unchecked). The deployment is
// a loopback fake of Anthropic's API that records what it received.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { listenServerInRange } from '../helpers/listen-in-range.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const received: Record<string, unknown>[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: Anthropic;

// Shapes from the SDK's types (`RefusalStopDetails`, `Container`, `Usage`, `CacheCreation`).
const STOP_DETAILS = { type: 'refusal', category: 'bio', explanation: null };
const CONTAINER = {
  id: 'container_e2e_01',
  expires_at: '2026-12-07T18:00:00Z',
  skills: [{ skill_id: 'pdf', type: 'anthropic', version: 'latest' }],
};
const SPLIT = { ephemeral_5m_input_tokens: 40, ephemeral_1h_input_tokens: 60 };
const USAGE = {
  input_tokens: 9,
  cache_creation_input_tokens: 100,
  cache_read_input_tokens: 0,
  cache_creation: SPLIT,
  output_tokens: 5,
  service_tier: 'priority',
  inference_geo: 'eu',
};
const MESSAGE = {
  id: 'msg_up',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [{ type: 'text', text: 'I will not help with that.' }],
  stop_reason: 'refusal',
  stop_sequence: null,
  stop_details: STOP_DETAILS,
  container: CONTAINER,
  usage: USAGE,
};

/** The same refusal as Anthropic streams it (CONTRACTS.md §4.4). */
function refusalStream(): string {
  const events: [string, Record<string, unknown>][] = [
    [
      'message_start',
      {
        message: {
          ...MESSAGE,
          content: [],
          stop_reason: null,
          stop_details: null,
          usage: { ...USAGE, output_tokens: 1 },
        },
      },
    ],
    ['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'I will not.' } }],
    ['content_block_stop', { index: 0 }],
    [
      'message_delta',
      {
        delta: { stop_reason: 'refusal', stop_sequence: null, stop_details: STOP_DETAILS },
        usage: { output_tokens: USAGE.output_tokens },
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
      return res.end(refusalStream());
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(MESSAGE));
  });
  // The top of E2E_PORT_RANGE when set (the router takes the first free port from its bottom).
  const range = /^(\d+)-(\d+)$/.exec(process.env.E2E_PORT_RANGE ?? '');
  if (range) await listenServerInRange(upstream, Number(range[2]) - 4, Number(range[2]));
  else await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
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
        },
      ],
      routers: [],
    }),
  );
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const ask = {
  model: 'claude',
  max_tokens: 100,
  container: CONTAINER.id,
  inference_geo: USAGE.inference_geo,
  messages: [{ role: 'user' as const, content: 'How do I culture this pathogen?' }],
};

describe("Claude's reply fields through the router, to @anthropic-ai/sdk", () => {
  it('a JSON reply has its stop_details, container, inference_geo, tier and cache split', async () => {
    const msg = await client.messages.create(ask);
    expect(received.at(-1)).toMatchObject({ container: CONTAINER.id, inference_geo: 'eu' });
    expect(msg.stop_reason).toBe('refusal');
    expect(msg.stop_details).toEqual(STOP_DETAILS);
    expect(msg.container).toEqual(CONTAINER);
    expect(msg.usage).toMatchObject({
      inference_geo: USAGE.inference_geo,
      service_tier: USAGE.service_tier,
      cache_creation: SPLIT,
      cache_creation_input_tokens: USAGE.cache_creation_input_tokens,
    });
  });

  it("a stream's final message has them too", async () => {
    const msg = await client.messages.stream(ask).finalMessage();
    expect(msg.content).toMatchObject([{ type: 'text', text: 'I will not.' }]);
    expect(msg.stop_details).toEqual(STOP_DETAILS);
    expect(msg.container).toEqual(CONTAINER);
    expect(msg.usage).toMatchObject({
      inference_geo: USAGE.inference_geo,
      service_tier: USAGE.service_tier,
      cache_creation: SPLIT,
      cache_creation_input_tokens: USAGE.cache_creation_input_tokens,
      output_tokens: USAGE.output_tokens,
    });
  });

  it('a malformed fallbacks entry is a 400 invalid_request_error naming its path', async () => {
    const before = received.length;
    const bad = client.messages.create({
      ...ask,
      fallbacks: [{ model: 'claude-haiku-4-5' }, { max_tokens: 50 }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    await expect(bad).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    const err = (await bad.catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.BadRequestError
    >;
    expect(err.status).toBe(400);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((err.error as { error: { message: string } }).error.message).toMatch(
      /^fallbacks\.1\.model: Field required/,
    );
    expect(received.length).toBe(before);
  });
});
