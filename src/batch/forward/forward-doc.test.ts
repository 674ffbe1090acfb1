// Splitting a deployment's held lines into upstream batches within its limits, and judging each
// line's upstream result: an answer (2xx or a final 4xx) is kept, a retryable one or none runs live.
import { describe, expect, it } from 'vitest';
import { judgeUpstreamResults, splitForUpstream, type ForwardGroup } from './forward-doc.js';

const items = (...bytes: number[]) => bytes.map((b, i) => ({ i, bytes: b }));
const ids = (runs: { i: number }[][]) => runs.map((r) => r.map((x) => x.i));

describe('splitForUpstream', () => {
  it('keeps input order and cuts at the line limit', () => {
    expect(ids(splitForUpstream(items(1, 1, 1, 1, 1), 2, 1e9))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('cuts before a line that would pass the byte limit; an oversized line goes alone', () => {
    expect(ids(splitForUpstream(items(40, 40, 30, 200, 10), 100, 100))).toEqual([
      [0, 1],
      [2],
      [3],
      [4],
    ]);
  });

  it('makes no run of nothing', () => {
    expect(splitForUpstream([], 10, 10)).toEqual([]);
  });
});

describe('judgeUpstreamResults', () => {
  const group: ForwardGroup = {
    deployment: 'gpt',
    upstreamId: 'up',
    submittedAt: 0,
    lines: [0, 1, 2, 3, 4, 5].map((line) => ({
      line,
      requestId: `req${line}`,
      promptTokens: 1,
      top: 'gpt',
    })),
  };

  it('keeps answers and final errors, sends retryable and missing results live', () => {
    const judged = judgeUpstreamResults(group, [
      { customId: 'line-0', status: 200, body: { ok: true } },
      { customId: 'line-1', status: 400, body: { error: { message: 'bad' } } },
      { customId: 'line-2', status: 429, body: {} },
      { customId: 'line-3', status: 503, body: {} },
      { customId: 'line-4', error: { code: 'batch_expired', message: 'not run in time' } },
      { customId: 'line-99', status: 200, body: {} },
    ]);
    expect(judged.map((j) => [j.line.line, j.outcome.kind])).toEqual([
      [0, 'answer'],
      [1, 'answer'],
      [2, 'live'],
      [3, 'live'],
      [4, 'live'],
      [5, 'live'],
    ]);
    expect(judged[1]!.outcome).toEqual({
      kind: 'answer',
      status: 400,
      body: { error: { message: 'bad' } },
    });
  });
});
