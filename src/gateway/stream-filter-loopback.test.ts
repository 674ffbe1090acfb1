// A streamed answer under the content filter's moderation checks (`moderationDeployment`), its
// chat and moderation upstreams a loopback server called through the real OpenAI-compatible
// adapter and HTTP client:
// - with OpenRouter's usage accounting (`usage: {include: true}`), the cost the client is told in
//   its usage chunk is the request's record's, the checks that end after the upstream did
//   included (the last one of a stream with no finish; one still running at the finish). Until
//   2026-12-07 the usage chunk was costed as the upstream's usage came by, before those checks;
// - a client that leaves while a check runs: its record is written without waiting for the
//   moderation upstream's answer (nobody reads it), the call it made still charged. Until
//   2026-12-07 the request's end waited for it (up to the moderation timeout).
import { request as httpRequest, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listenInRange } from '../../test/helpers/listen-in-range.js';
import {
  realOpenAiCompatible,
  startLoopbackModeration,
  type LoopbackModeration,
} from '../../test/helpers/loopback-moderation.js';
import {
  filterCalls,
  moderationCost,
  pricedModerationApp,
  promptText,
} from '../../test/helpers/priced-moderation-filter.js';
import { simDeployment } from '../../test/helpers/test-config.js';
import type { ChatChunk } from '../core/wire-types.js';
import { waitFor } from '../../test/helpers/wait-for.js';

const sse = (res: ServerResponse, data: object | string) =>
  res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);

const chunk = (choices: object[], usage?: object) => ({
  id: 'chatcmpl-loop',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'loop-model',
  choices,
  ...(usage ? { usage } : {}),
});

const text = (content: string, finish: string | null = null) =>
  chunk([{ index: 0, delta: { content }, finish_reason: finish }]);

let loop: LoopbackModeration;
beforeAll(async () => {
  loop = await startLoopbackModeration(47_187, 47_193);
});
afterAll(() => loop.close());
afterEach(() => loop.reset());

/** The loopback's chat deployment's prices, USD per 1M tokens. */
const LOOP_PRICES = { inputPer1M: 3, outputPer1M: 15 };

/**
 * The router: chat deployment `loop` and moderation deployment `mod`, both the loopback; with
 * `cache`, the answer cache on.
 */
async function setup(moderationTimeoutMs = 2_000, cache = false) {
  return pricedModerationApp({
    moderationTimeoutMs,
    ...(cache ? { overrides: { cache: { enabled: true, ttlSeconds: 600 } } } : {}),
    modDeployment: {
      provider: 'openai-compatible',
      baseUrl: `${loop.base}/v1`,
      simulation: undefined,
    },
    deployments: [
      simDeployment('loop', {
        provider: 'openai-compatible',
        model: 'loop-model',
        baseUrl: `${loop.base}/v1`,
        simulation: undefined,
        prices: LOOP_PRICES,
        budget: { dailyUsd: 100 },
      }),
    ],
    adapters: realOpenAiCompatible(),
  });
}

const USAGE = { prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 };

const streamed = (content: string, extra: Record<string, unknown> = {}) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: {
    model: 'loop',
    stream: true,
    usage: { include: true },
    messages: [{ role: 'user', content }],
    ...extra,
  },
});

/** The chunks the client got. */
const chunksOf = (body: string) =>
  body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as ChatChunk);

const contentOf = (chunks: ChatChunk[]) =>
  chunks
    .map((c) => (c.choices[0]?.delta as { content?: string } | undefined)?.content ?? '')
    .join('');

describe("a streamed answer's usage cost, with the content filter's checks on the answer", () => {
  it('an upstream that ends with no finish: the usage chunk comes last, its cost the record’s, the final check of the whole answer in it', async () => {
    const app = await setup();
    const pieces = ['The Nile, ', 'the Amazon ', 'and the Yangtze.'];
    loop.chat = (res) => {
      for (const p of pieces) sse(res, text(p));
      sse(res, chunk([], USAGE)); // its usage, and no finish chunk at all
      res.end('data: [DONE]\n\n');
    };
    const content = 'Name the three longest rivers.';
    const res = await app.t.app.inject(streamed(content));
    expect(res.statusCode).toBe(200);
    const chunks = chunksOf(res.body);
    expect(contentOf(chunks)).toBe(pieces.join(''));
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(chunks.at(-1)).toBe(withUsage[0]);
    await waitFor(() => expect(app.t.records).toHaveLength(1));
    const record = app.t.records[0]!;
    // The prompt's check, then the one over the whole answer, after the upstream's end.
    expect(loop.inputs).toEqual([promptText(content), pieces.join('')]);
    expect(filterCalls(record).map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
      ['mod', 'ok', moderationCost(promptText(content))],
      ['mod', 'ok', moderationCost(pieces.join(''))],
    ]);
    const answerCost = (20 * LOOP_PRICES.inputPer1M + 30 * LOOP_PRICES.outputPer1M) / 1e6;
    expect(record.costUsd).toBeCloseTo(
      answerCost + moderationCost(promptText(content), pieces.join('')),
      15,
    );
    const told = (withUsage[0]!.usage as { cost?: number }).cost;
    expect(told).toBeCloseTo(record.costUsd, 15);
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
  });

  it('a mid-stream check still running at the finish: the usage chunk waits for it, its cost the record’s', async () => {
    const app = await setup();
    // 1,200 characters: a check at 1,000 (held until 100 ms after the finish's check answered),
    // then the finish's over all 1,200.
    const pieces = Array.from({ length: 12 }, (_, i) => String(i).padStart(2, '0').repeat(50));
    loop.chat = (res) => {
      for (const p of pieces) sse(res, text(p));
      sse(res, text('', 'stop'));
      sse(res, chunk([], USAGE));
      res.end('data: [DONE]\n\n');
    };
    loop.held.add(2);
    loop.onAnswered = (n) => {
      if (n === 3) setTimeout(() => loop.release(2), 100);
    };
    const content = 'Count to eleven, slowly.';
    const res = await app.t.app.inject(streamed(content));
    expect(res.statusCode).toBe(200);
    const chunks = chunksOf(res.body);
    const answer = pieces.join('');
    expect(contentOf(chunks)).toBe(answer);
    expect(loop.inputs.map((t) => t.length)).toEqual([promptText(content).length, 1000, 1200]);
    await waitFor(() => expect(app.t.records).toHaveLength(1));
    const record = app.t.records[0]!;
    expect(filterCalls(record).map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const told = (chunks.find((c) => c.usage)!.usage as { cost?: number }).cost;
    expect(told).toBeCloseTo(record.costUsd, 15);
    expect(record.costUsd).toBeGreaterThan(
      moderationCost(promptText(content), answer.slice(0, 1000), answer),
    );
  });
});

describe("a streamed answer from the cache: its usage cost, with the filter's checks on it", () => {
  it('the usage chunk comes after the check on the replayed answer, its cost the record’s', async () => {
    const app = await setup(2_000, true);
    const pieces = Array.from({ length: 12 }, (_, i) => String(i).padStart(2, '0').repeat(50));
    const answer = pieces.join('');
    loop.chat = (res) => {
      for (const p of pieces) sse(res, text(p));
      sse(res, text('', 'stop'));
      sse(res, chunk([], USAGE));
      res.end('data: [DONE]\n\n');
    };
    const content = 'Count to eleven, once more.';
    const ask = streamed(content, { stream_options: { include_usage: true } });
    const first = await app.t.app.inject(ask);
    expect(first.statusCode).toBe(200);
    await waitFor(() => expect(app.t.records).toHaveLength(1));
    // The live answer's checks: the prompt's, at 1,000 characters, at the finish.
    expect(loop.inputs).toHaveLength(3);
    const hit = await app.t.app.inject(ask);
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['x-router-cache']).toBe('hit');
    const chunks = chunksOf(hit.body);
    expect(contentOf(chunks)).toBe(answer);
    // The hit's: the prompt's, and the replayed answer's (its text comes in one chunk).
    expect(loop.inputs.slice(3)).toEqual([promptText(content), answer]);
    await waitFor(() => expect(app.t.records).toHaveLength(2));
    const record = app.t.records[1]!;
    expect(record.cache).toBe('hit');
    expect(filterCalls(record).map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
      ['mod', 'ok', moderationCost(promptText(content))],
      ['mod', 'ok', moderationCost(answer)],
    ]);
    // A hit costs nothing but its checks.
    expect(record.costUsd).toBeCloseTo(moderationCost(promptText(content), answer), 15);
    const usage = chunks.filter((c) => c.usage);
    expect(usage).toHaveLength(1);
    expect(chunks.at(-1)).toBe(usage[0]);
    expect((usage[0]!.usage as { cost?: number }).cost).toBeCloseTo(record.costUsd, 15);
    expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
  });
});

describe('a client that leaves a filtered stream while a check on its answer runs', () => {
  it('its record is written before the moderation upstream answers, the call it made charged', async () => {
    // A minute's moderation timeout: a request's end that waited for the check would wait that.
    const app = await setup(60_000);
    let chatClosed = false;
    // 1,100 characters at once (a check at 1,000), then nothing until the router hangs up.
    loop.chat = (res) => {
      for (let i = 0; i < 11; i++) sse(res, text(String(i % 10).repeat(100)));
      res.on('close', () => (chatClosed = true));
    };
    loop.held.add(2); // the answer's check: never answered while the test looks
    const port = await listenInRange(
      (p) => app.t.app.listen({ port: p, host: '127.0.0.1' }),
      47_194,
      47_199,
    );
    try {
      const content = 'Say something long.';
      const got = { chars: 0 };
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
      });
      req.on('error', () => {}); // it is destroyed below
      req.end(
        JSON.stringify({
          model: 'loop',
          stream: true,
          messages: [{ role: 'user', content }],
        }),
      );
      req.on('response', (res) => {
        res.on('error', () => {});
        res.on('data', (b: Buffer) => (got.chars += b.length));
      });
      // The answer's text arrived and its check is at the moderation upstream: the client goes.
      await waitFor(() => {
        expect(loop.inputs).toHaveLength(2);
        expect(got.chars).toBeGreaterThan(1000);
      });
      req.destroy();
      await waitFor(() => expect(app.t.records).toHaveLength(1));
      // Written while the check's call was still unanswered.
      expect(loop.answered).toEqual([1]);
      // The router hung up on the chat upstream too (its close reaches the loopback a tick later).
      await waitFor(() => expect(chatClosed).toBe(true));
      const record = app.t.records[0]!;
      expect(record.status).toBe(499);
      // The check's call was made: stopped with its text sent, and charged that text at mod.
      const checked = loop.inputs[1]!;
      expect(checked).toBe(Array.from({ length: 10 }, (_, i) => String(i).repeat(100)).join(''));
      expect(filterCalls(record).map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
        ['mod', 'ok', moderationCost(promptText(content))],
        ['mod', 'aborted', moderationCost(checked)],
      ]);
      expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
      expect((await app.spent()).at).toBeCloseTo(moderationCost(promptText(content), checked), 12);
    } finally {
      await app.t.app.close();
    }
  });
});
