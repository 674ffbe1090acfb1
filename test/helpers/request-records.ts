// A request-log record numbered `i` for the request log's tests (src/store/request-log*.test.ts):
// its time, ids, tokens, cost and latency follow from `i` (keys, deployments and streaming
// alternate), so a test can tell records apart and sum what it expects.
import type { RequestRecord } from '../../src/store/request-record.js';

/** Record `i` (time 1_700_000_000_000 + i s, cost 0.001 × i, baseline 0.01 × i), with `extra`. */
export function sampleRecord(i: number, extra: Partial<RequestRecord> = {}): RequestRecord {
  return {
    time: 1_700_000_000_000 + i * 1000,
    requestId: `req_${i}`,
    endpoint: 'chat',
    tenant: 'team-a',
    keyId: i % 2 ? 'k1' : 'k2',
    router: 'model-router',
    routingMode: 'balanced',
    routerVersion: '2026-11-24',
    decisionId: `dec_${i}`,
    deployment: i % 3 ? 'small' : 'big',
    servedModel: i % 3 ? 'small-sim' : 'big-sim',
    attempts: [{ deployment: 'small', model: 'small-sim', outcome: 'ok', latencyMs: 3.5 }],
    stream: i % 2 === 0,
    promptTokens: 10 + i,
    cachedTokens: 2,
    completionTokens: 5,
    reasoningTokens: 1,
    costUsd: 0.001 * i,
    baselineCostUsd: 0.01 * i,
    ttftMs: i % 2 === 0 ? 12.5 : undefined,
    latencyMs: 20 + i,
    routingMicros: 15,
    status: 200,
    region: 'eastus',
    dataZone: 'us',
    promptText: `prompt ${i}`,
    answerText: `answer ${i}`,
    ...extra,
  };
}
