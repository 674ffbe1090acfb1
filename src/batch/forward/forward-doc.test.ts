// Splitting a deployment's held lines into upstream batches within its limits, and judging each
// line's upstream result: an answer (2xx or a final 4xx) is kept, a retryable one or none runs live;
// and what the config accepts of `batchApi`.
import { describe, expect, it } from 'vitest';
import { batchApiLimits } from '../../config/deployment-kinds.js';
import { parseConfig, type ConfigError } from '../../config/load-config.js';
import { simDeployment, simEmbeddingDeployment } from '../../../test/helpers/test-config.js';
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

describe('batchApi in the config', () => {
  const issues = (deployment: Record<string, unknown>) => {
    try {
      parseConfig({ deployments: [simDeployment('a'), deployment] }, {});
      return '';
    } catch (err) {
      return (err as ConfigError).issues.join();
    }
  };

  it('is refused on a provider without a Batch API the router speaks, and on embedding models', () => {
    expect(
      issues({
        ...simDeployment('local'),
        provider: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:1/v1',
        batchApi: {},
      }),
    ).toMatch(/deployments\[1\]\.batchApi: provider "openai-compatible" has no Batch API/);
    expect(issues({ ...simDeployment('claude'), provider: 'anthropic', batchApi: {} })).toBe('');
    expect(issues(simEmbeddingDeployment('e', { batchApi: {} }))).toMatch(
      /deployments\[1\]\.batchApi: only chat deployments/,
    );
    expect(issues(simDeployment('s', { batchApi: {} }))).toBe('');
    expect(issues(simDeployment('s', { batchApi: { maxMegabytes: 256 } }))).toMatch(
      /batchApi\.maxMegabytes: at most 200 for provider "simulated"/,
    );
  });

  it("defaults to half off, the provider's limits and forwarding off", () => {
    const config = parseConfig(
      {
        deployments: [
          simDeployment('s', { batchApi: {} }),
          { ...simDeployment('claude'), provider: 'anthropic', batchApi: {} },
        ],
      },
      {},
    ).config;
    expect(config.deployments[0]!.batchApi).toEqual({
      enabled: true,
      discount: 0.5,
      completesAfterMs: 5_000,
    });
    expect(config.deployments.map(batchApiLimits)).toEqual([
      { maxLines: 50_000, maxMegabytes: 200 },
      { maxLines: 100_000, maxMegabytes: 256 },
    ]);
    expect(config.batches.forward).toBe('never');
  });
});
