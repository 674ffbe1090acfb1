// An upstream's `usage` is data from the network (fault audit, 2026-12-06, F1): counts that are no
// counts ("abc", −1000000, 1e308) are accounted as no usage at all, estimated, so the answer is
// served, the record's figures are numbers, and the metrics and limits read numbers. Before, such
// a reply answered the client a 500 (the metrics refused NaN) and wedged the request log.
import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatResponse } from '../core/wire-types.js';
import { recordRequestMetrics } from '../telemetry/metrics.js';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { testConfig } from '../../test/helpers/test-config.js';
import { answerUsageCounts, reportedUsage } from './cost.js';

const body = (extra: Record<string, unknown> = {}) => ({
  model: 'small',
  messages: [{ role: 'user', content: 'Hello there' }],
  ...extra,
});

/** `small`'s fake adapter with its replies' usage replaced by `usage`. */
function poisoned(usage: Record<string, unknown>) {
  const base = fakeAdapter('small-2025', [{ reply: 'four words of answer' }]);
  return {
    ...base,
    async chat(req: Parameters<typeof base.chat>[0]) {
      const reply = await base.chat(req);
      return { ...reply, response: { ...reply.response, usage } as unknown as ChatResponse };
    },
    async chatStream(req: Parameters<typeof base.chatStream>[0]) {
      const reply = await base.chatStream(req);
      async function* chunks(): AsyncGenerator<ChatChunk> {
        for await (const c of reply.chunks)
          yield c.usage ? ({ ...c, usage } as unknown as ChatChunk) : c;
      }
      return { ...reply, chunks: chunks() };
    },
  };
}

const finite = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;

describe("an upstream's usage that is no count", () => {
  for (const usage of [
    { prompt_tokens: 'abc', completion_tokens: 'zz' },
    { prompt_tokens: 10, completion_tokens: -1_000_000, total_tokens: 15 },
    { prompt_tokens: 1e308 * 10, completion_tokens: 5 },
  ])
    it(`is none, estimated: ${JSON.stringify(usage)}`, async () => {
      const t = await buildTestApp(testConfig(), {
        big: fakeAdapter('big', [{ reply: 'x' }]),
        mid: fakeAdapter('mid', [{ reply: 'x' }]),
        small: poisoned(usage),
      });
      const json = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: body(),
      });
      expect(json.statusCode).toBe(200);
      // The client gets the router's figures rather than what no SDK could read.
      const u = json.json().usage;
      expect([u.prompt_tokens, u.completion_tokens, u.total_tokens].every(finite)).toBe(true);
      expect(u.completion_tokens).toBe(5); // "four words of answer": 20 characters, 4 a token
      const streamed = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: body({ stream: true }),
      });
      expect(streamed.statusCode).toBe(200);
      expect(streamed.body).toContain('data: [DONE]');
      expect(t.records).toHaveLength(2);
      for (const r of t.records) {
        expect(r.status).toBe(200);
        expect(r.usageEstimated).toBe(true);
        for (const n of [r.promptTokens, r.completionTokens, r.costUsd, r.baselineCostUsd])
          expect(finite(n)).toBe(true);
        expect(r.completionTokens).toBeGreaterThan(0);
        expect(() => recordRequestMetrics(r)).not.toThrow();
      }
    });

  it('reportedUsage keeps a usage whose counts are counts, and answerUsageCounts estimates the rest', () => {
    const good = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    expect(reportedUsage(good)).toBe(good);
    expect(reportedUsage({ prompt_tokens: null, completion_tokens: 2 } as never)).toBeTruthy();
    expect(reportedUsage({ prompt_tokens: '3', completion_tokens: 2 } as never)).toBeUndefined();
    const counts = answerUsageCounts({
      usage: { prompt_tokens: Number.NaN, completion_tokens: 2, total_tokens: 2 },
      choices: [{ message: { content: 'abcdefgh' } }],
    });
    expect(counts).toMatchObject({ completionTokens: 2, estimated: true });
  });
});
