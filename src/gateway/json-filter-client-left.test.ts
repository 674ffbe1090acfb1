// A JSON (non-stream) answer under the content filter's moderation checks (`moderationDeployment`,
// a loopback upstream called through the real OpenAI-compatible adapter and HTTP client; the chat
// answer from the simulated fleet), whose client leaves while the check on the answer is still at
// the moderation upstream: on every path that filters a JSON answer (Chat Completions, its Azure
// path, Responses, Anthropic Messages, and an answer-cache hit), the check is stopped, no answer
// goes out, and the request is recorded at once as a client that left (499) with what its answer
// and each moderation call made cost, while that call is still unanswered. Until 2026-12-07 the
// check ran on (up to the moderation timeout, a minute here) and the request was recorded 200
// after it; only streams stopped their checks (stream-filter-loopback.test.ts).
import { request as httpRequest } from 'node:http';
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
} from '../../test/helpers/priced-moderation-filter.js';
import { waitFor } from '../../test/helpers/wait-for.js';

let mod: LoopbackModeration;
beforeAll(async () => {
  mod = await startLoopbackModeration(47_125, 47_130);
});
afterAll(() => mod.close());
afterEach(() => mod.reset());

/** The router, its moderation deployment `mod` the loopback, listening on a port of its own. */
async function listening(cache = false) {
  const app = await pricedModerationApp({
    // A minute: a request's end that waited for the check would wait that long.
    moderationTimeoutMs: 60_000,
    responses: true,
    ...(cache ? { overrides: { cache: { enabled: true, ttlSeconds: 600 } } } : {}),
    modDeployment: {
      provider: 'openai-compatible',
      baseUrl: `${mod.base}/v1`,
      simulation: undefined,
    },
    adapters: realOpenAiCompatible(),
  });
  const port = await listenInRange(
    (p) => app.t.app.listen({ port: p, host: '127.0.0.1' }),
    47_131,
    47_140,
  );
  return { ...app, port };
}

/** A request the client gives up on: `leave()` destroys its socket; `status` once answered. */
function send(port: number, path: string, body: object, headers: Record<string, string> = {}) {
  const got: { status?: number; body: string } = { body: '' };
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...headers },
  });
  req.on('error', () => {}); // destroyed by `leave`
  req.on('response', (res) => {
    got.status = res.statusCode;
    res.on('error', () => {});
    res.on('data', (b: Buffer) => (got.body += b.toString()));
  });
  req.end(JSON.stringify(body));
  return { got, leave: () => req.destroy() };
}

const PROMPT = 'Describe the water cycle in two sentences.';

/** Each path that filters a JSON answer: its request for deployment `big` (simulated). */
const PATHS = [
  {
    name: 'Chat Completions',
    path: '/v1/chat/completions',
    body: { model: 'big', messages: [{ role: 'user', content: PROMPT }] },
  },
  {
    name: "Chat Completions' Azure deployment path",
    path: '/openai/deployments/big/chat/completions?api-version=2024-10-21',
    body: { messages: [{ role: 'user', content: PROMPT }] },
  },
  {
    name: 'Responses',
    path: '/v1/responses',
    body: { model: 'big', input: PROMPT, store: false },
  },
  {
    name: 'Anthropic Messages',
    path: '/v1/messages',
    body: { model: 'big', max_tokens: 256, messages: [{ role: 'user', content: PROMPT }] },
    headers: { 'anthropic-version': '2023-06-01' },
  },
] as const;

/** The simulated `big`'s prices, USD per 1M tokens (test-config.ts). */
const BIG = { inputPer1M: 10, outputPer1M: 30 };

describe("a JSON answer's client that leaves while the content filter checks the answer", () => {
  for (const p of PATHS)
    it(`${p.name}: recorded 499 while the check is unanswered, the answer and each call charged`, async () => {
      const app = await listening();
      try {
        mod.held.add(2); // the answer's check (the prompt's is the first)
        const client = send(app.port, p.path, p.body, 'headers' in p ? p.headers : {});
        await waitFor(() => expect(mod.inputs).toHaveLength(2));
        client.leave();
        await waitFor(() => expect(app.t.records).toHaveLength(1));
        // Written while the answer's check was still at the moderation upstream.
        expect(mod.answered).toEqual([1]);
        expect(mod.held.has(2)).toBe(true);
        expect(client.got.status).toBeUndefined(); // nothing went out
        const record = app.t.records[0]!;
        expect([record.status, record.errorCode]).toEqual([499, 'client_closed_request']);
        expect(record.deployment).toBe('big');
        // The answer's check was made: stopped with its text sent, charged that text at mod.
        const [prompt, answer] = mod.inputs as [string, string];
        expect(answer.length).toBeGreaterThan(0);
        expect(filterCalls(record).map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
          ['mod', 'ok', moderationCost(prompt)],
          ['mod', 'aborted', moderationCost(answer)],
        ]);
        // The answer the upstream gave was paid for: its tokens, then the two calls.
        expect(record.completionTokens).toBeGreaterThan(0);
        const answerCost =
          (record.promptTokens * BIG.inputPer1M + record.completionTokens * BIG.outputPer1M) / 1e6;
        expect(record.costUsd).toBeCloseTo(answerCost + moderationCost(prompt, answer), 15);
        const settled = app.settled.at(-1)!;
        expect(settled.status).toBe(499);
        expect(settled.costUsd).toBeCloseTo(record.costUsd, 15);
        expect((await app.spent()).at).toBeCloseTo(moderationCost(prompt, answer), 12);
        // No check started after the client left (the moderation upstream heard of none).
        expect(mod.inputs).toHaveLength(2);
      } finally {
        await app.t.app.close();
      }
    });

  it('an answer-cache hit: recorded 499 while the check on the kept answer is unanswered, the calls charged', async () => {
    const app = await listening(true);
    try {
      const body = PATHS[0].body;
      const first = send(app.port, PATHS[0].path, body);
      await waitFor(() => {
        expect(app.t.records).toHaveLength(1);
        expect(first.got.status).toBe(200);
      });
      expect(mod.inputs).toHaveLength(2); // the live answer's checks: the prompt's, the answer's
      mod.held.add(4); // the hit's check on the kept answer
      const hit = send(app.port, PATHS[0].path, body);
      await waitFor(() => expect(mod.inputs).toHaveLength(4));
      hit.leave();
      await waitFor(() => expect(app.t.records).toHaveLength(2));
      expect(mod.answered).toEqual([1, 2, 3]);
      const record = app.t.records[1]!;
      expect(record.cache).toBe('hit');
      expect([record.status, record.errorCode]).toEqual([499, 'client_closed_request']);
      const [prompt, answer] = mod.inputs.slice(2) as [string, string];
      expect(filterCalls(record).map((a) => [a.deployment, a.outcome, a.costUsd])).toEqual([
        ['mod', 'ok', moderationCost(prompt)],
        ['mod', 'aborted', moderationCost(answer)],
      ]);
      // A hit costs nothing but its checks.
      expect(record.costUsd).toBeCloseTo(moderationCost(prompt, answer), 15);
      expect(app.settled.at(-1)!.status).toBe(499);
      expect(app.settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
    } finally {
      await app.t.app.close();
    }
  });
});
