// A loopback Anthropic Messages API for tests of Claude through the router over real sockets: it
// answers `POST /v1/messages` with the Message a test scripts, as JSON or, for `stream: true`, as
// Anthropic streams it (CONTRACTS.md §4.4), and the router in front of it (`claude`, an anthropic
// deployment with the real undici client) listens on loopback too, in the suite's port range.
import { createServer, type Server } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ConfigInput } from '../../src/config/schema.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic/anthropic-adapter.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { buildTestApp } from './build-test-app.js';
import { readJsonBody } from './fake-http.js';
import { listenInRange, listenServerInRange } from './listen-in-range.js';
import { testConfig } from './test-config.js';

type Json = Record<string, unknown>;

/**
 * A Message as Anthropic streams it: each text block's `citations_delta` events, then its text;
 * thinking as `thinking_delta` and `signature_delta`; a tool use's input as one `input_json_delta`
 * (its other fields, `caller` among them, in its start); other blocks whole in their start. The
 * usage's input side in message_start, the whole of it (thinking tokens and server tool calls
 * included) in message_delta, as the SDK's `MessageDeltaUsage` types it.
 */
export function claudeEvents(message: Json): string {
  const usage = (message.usage ?? {}) as Json;
  const events: Json[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
          cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          output_tokens: 1,
        },
      },
    },
  ];
  (message.content as Json[]).forEach((block, index) => {
    const delta = (d: Json) => events.push({ type: 'content_block_delta', index, delta: d });
    if (block.type === 'text') {
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'text', text: '' },
      });
      for (const citation of (block.citations as Json[] | null | undefined) ?? [])
        delta({ type: 'citations_delta', citation });
      delta({ type: 'text_delta', text: block.text });
    } else if (block.type === 'thinking') {
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      });
      delta({ type: 'thinking_delta', thinking: block.thinking });
      delta({ type: 'signature_delta', signature: block.signature });
    } else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      events.push({ type: 'content_block_start', index, content_block: { ...block, input: {} } });
      delta({ type: 'input_json_delta', partial_json: JSON.stringify(block.input) });
    } else events.push({ type: 'content_block_start', index, content_block: block });
    events.push({ type: 'content_block_stop', index });
  });
  const { input_tokens: _in, cache_creation: _split, service_tier: _tier, ...counts } = usage;
  events.push({
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: counts,
  });
  events.push({ type: 'message_stop' });
  return events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}

export interface ClaudeLoopback {
  /** The router in front of the fake: `http://127.0.0.1:<port>`. */
  router: string;
  app: FastifyInstance;
  records: Awaited<ReturnType<typeof buildTestApp>>['records'];
  /** The bodies the fake received, in order. */
  received: Json[];
  /**
   * The router's clients, with no retries, on connections of their own: a later suite's router
   * on the same port never gets a connection kept alive to this one.
   */
  openai: OpenAI;
  anthropic: Anthropic;
  close(): Promise<void>;
}

/**
 * The fake (answering every call with `message`) and the router over it, both on 127.0.0.1 in
 * `[from, to]`: one deployment, `claude` (Claude Sonnet's prices: $3 / $15 per 1M tokens; it
 * reasons and reads files, and has `capabilities` besides), with `config` merged (the answer
 * cache...) and the test app's options (`app`: the Responses API's store...).
 */
export async function startClaudeLoopback(
  message: Json,
  ports: { from: number; to: number },
  opts: {
    config?: Partial<ConfigInput>;
    app?: Parameters<typeof buildTestApp>[2];
    capabilities?: Record<string, boolean>;
  } = {},
): Promise<ClaudeLoopback> {
  const received: Json[] = [];
  const server: Server = createServer((req, res) => {
    void readJsonBody(req).then((body) => {
      received.push(body);
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return res.end(claudeEvents(message));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(message));
    });
  });
  const upstreamPort = await listenServerInRange(server, ports.from, ports.to);
  const http = createHttpClient();
  const parsed = testConfig({
    deployments: [
      {
        name: 'claude',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        baseUrl: `http://127.0.0.1:${upstreamPort}`,
        prices: { inputPer1M: 3, outputPer1M: 15 },
        contextWindow: 200_000,
        maxOutputTokens: 8192,
        capabilities: { reasoning: true, files: true, ...opts.capabilities },
      },
    ],
    routers: [],
    ...opts.config,
  });
  const { app, records } = await buildTestApp(
    parsed,
    { claude: createAnthropicAdapter(parsed.deployments[0]!, http, {}) },
    opts.app,
  );
  const port = await listenInRange(
    (p) => app.listen({ host: '127.0.0.1', port: p }),
    ports.from,
    ports.to,
  );
  const router = `http://127.0.0.1:${port}`;
  const agent = new Agent();
  const fetch = ((url: string, init?: Json) =>
    undiciFetch(url, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return {
    router,
    app,
    records,
    received,
    openai: new OpenAI({ baseURL: `${router}/v1`, apiKey: 'unused', maxRetries: 0, fetch }),
    anthropic: new Anthropic({ baseURL: router, apiKey: 'unused', maxRetries: 0, fetch }),
    close: async () => {
      await agent.close();
      await app.close();
      await http.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
