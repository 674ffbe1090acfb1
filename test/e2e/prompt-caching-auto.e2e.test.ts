// `promptCaching: auto` through the BUILT router: the official `openai` SDK sends a Codex-style
// agent turn (instructions, tools, tool results; no `cache_control`, as OpenAI-format clients
// send) to an `anthropic` deployment, a loopback fake of Anthropic's API that records what it
// received and reports cache reads and writes; Claude gets the three breakpoints, and the request
// log bills the reads at the cached price and the writes at the cache-write price. The same turn
// to a deployment with it off reaches Claude as before.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody, send } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

const EPHEMERAL = { type: 'ephemeral' };
const PRICES = {
  inputPer1M: 3,
  cachedInputPer1M: 0.3,
  cacheWriteInputPer1M: 3.75,
  outputPer1M: 15,
};
const USAGE = {
  input_tokens: 40,
  cache_creation_input_tokens: 1_000,
  cache_read_input_tokens: 9_000,
  output_tokens: 10,
};

const received: Record<string, unknown>[] = [];
const dir = mkdtempSync(join(tmpdir(), 'mr-autocache-'));
let upstream: Server;
let server: SpawnedServer | undefined;
let client: OpenAI;

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    received.push(await readJsonBody(req));
    send(res, 200, {
      id: 'msg_upstream',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Fixed.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: USAGE,
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const common = {
    provider: 'anthropic' as const,
    model: 'claude-sonnet-4-5',
    baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    prices: PRICES,
    contextWindow: 200_000,
    maxOutputTokens: 8192,
  };
  server = await spawnServer(
    testConfigInput({
      deployments: [
        { name: 'claude-auto', promptCaching: 'auto', ...common },
        { name: 'claude', ...common },
      ],
      routers: [{ name: 'model-router', modelSubset: ['claude-auto', 'claude'] }],
      requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'requests.db') },
    }),
  );
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

const agentTurn = (model: string): OpenAI.ChatCompletionCreateParamsNonStreaming => ({
  model,
  max_tokens: 512,
  messages: [
    { role: 'developer', content: 'You are a coding agent. Long instructions.' },
    { role: 'user', content: 'Fix the bug.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"ls"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'a.ts b.ts' },
  ],
  tools: [
    { type: 'function', function: { name: 'shell', parameters: { type: 'object' } } },
    { type: 'function', function: { name: 'apply_patch', parameters: { type: 'object' } } },
  ],
});

/** What Claude gets for `agentTurn` without auto caching. */
const asBefore = {
  model: 'claude-sonnet-4-5',
  max_tokens: 512,
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'c1', name: 'shell', input: { cmd: 'ls' } }],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'a.ts b.ts' }] },
  ],
  system: 'You are a coding agent. Long instructions.',
  tools: [
    { name: 'shell', input_schema: { type: 'object' } },
    { name: 'apply_patch', input_schema: { type: 'object' } },
  ],
};

describe('promptCaching: auto, end to end', () => {
  it("marks an OpenAI-format agent turn's tools, system prompt and tool result for Claude", async () => {
    received.length = 0;
    const { data, response } = await client.chat.completions
      .create(agentTurn('claude-auto'))
      .withResponse();
    expect(response.headers.get('x-router-deployment')).toBe('claude-auto');
    expect(received).toEqual([
      {
        ...asBefore,
        messages: [
          asBefore.messages[0],
          asBefore.messages[1],
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                tool_use_id: 'c1',
                content: 'a.ts b.ts',
                cache_control: EPHEMERAL,
              },
            ],
          },
        ],
        system: [{ type: 'text', text: asBefore.system, cache_control: EPHEMERAL }],
        tools: [asBefore.tools[0], { ...asBefore.tools[1], cache_control: EPHEMERAL }],
      },
    ]);
    expect(data.usage).toMatchObject({
      prompt_tokens: 10_040,
      completion_tokens: 10,
      prompt_tokens_details: { cached_tokens: 9_000 },
    });
  });

  it('sends the turn as before to a deployment with it off, and a marked turn as marked', async () => {
    received.length = 0;
    await client.chat.completions.create(agentTurn('claude'));
    expect(received).toEqual([asBefore]);
    expect(JSON.stringify(received[0])).not.toContain('cache_control');

    received.length = 0;
    const marked = agentTurn('claude-auto');
    marked.messages[1] = {
      role: 'user',
      content: [{ type: 'text', text: 'Fix the bug.', cache_control: EPHEMERAL } as never],
    };
    await client.chat.completions.create(marked);
    expect(JSON.stringify(received[0]).match(/cache_control/g)).toHaveLength(1);
    expect((received[0]!.messages as { content: unknown[] }[])[0]!.content).toEqual([
      { type: 'text', text: 'Fix the bug.', cache_control: EPHEMERAL },
    ]);
    expect(received[0]!.system).toBe(asBefore.system);
  });

  it('bills the cache reads at the cached price and the writes at the cache-write price', async () => {
    expect(await server!.stop()).toBe(0); // SIGTERM: drain and flush the log
    server = undefined;
    const db = new Database(join(dir, 'requests.db'), { readonly: true });
    const rows = db
      .prepare(
        'SELECT deployment, prompt_tokens, cached_tokens, cost_usd FROM requests ORDER BY time, rowid',
      )
      .all() as {
      deployment: string;
      prompt_tokens: number;
      cached_tokens: number;
      cost_usd: number;
    }[];
    db.close();
    expect(rows.map((r) => r.deployment)).toEqual(['claude-auto', 'claude', 'claude-auto']);
    expect(rows[0]).toMatchObject({ prompt_tokens: 10_040, cached_tokens: 9_000 });
    // 40 uncached at $3, 1,000 written at $3.75, 9,000 read at $0.30, 10 out at $15 (per 1M).
    expect(rows[0]!.cost_usd).toBeCloseTo(
      (40 * 3 + 1_000 * 3.75 + 9_000 * 0.3 + 10 * 15) / 1e6,
      12,
    );
    expect(rows[0]!.cost_usd).toBeLessThan((10_040 * 3 + 10 * 15) / 1e6);
  });
});
