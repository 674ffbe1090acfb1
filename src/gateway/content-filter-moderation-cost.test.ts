// The content filter's calls to one of the router's own moderation deployments
// (`contentFilter.moderationDeployment`, ModerationsGateway.classify) are paid for by the chat
// request they were made for: listed in its record's attempts (`lookup: 'content_filter'`), their
// cost in its `costUsd` and counted at the moderation deployment, in the usage summary by
// deployment, /metrics, the live deployment and tenant budgets and a budget seeded from the log;
// `x-router-attempts` and the served deployment stay the chat's. Before 2026-12-06 they counted
// nowhere. Real governance policies and content filter over simulated deployments.
import { describe, expect, it } from 'vitest';
import { seededSpend } from '../../test/helpers/memory-budgets.js';
import {
  filterCalls,
  metricCostAt,
  moderationCost,
  pricedModerationApp,
  promptText,
  summaryAt,
} from '../../test/helpers/priced-moderation-filter.js';
import { createSimulatedAdapter } from '../providers/simulated/simulated-adapter.js';
import type { RequestRecord } from '../store/request-record.js';
import { waitFor } from '../../test/helpers/wait-for.js';

/**
 * The router with the content filter on a priced moderation deployment (`mod`, with a daily
 * budget) and real governance policies (test/helpers/priced-moderation-filter.ts). `slowMod`:
 * `mod` stalls 5 s before it answers (really waited, so stopped by the filter's 100 ms timeout).
 */
async function setup({ slowMod = false, cache = false } = {}) {
  const app = await pricedModerationApp({
    ...(cache ? { overrides: { cache: { enabled: true, ttlSeconds: 600 } } } : {}),
    ...(slowMod
      ? {
          modSimulation: {
            ttftMs: 0,
            tokensPerSecond: 1_000_000,
            failure: { kind: 'slow-first-token', rate: 1, delayMs: 5_000 },
          },
          moderationTimeoutMs: 100,
          adapters: (simulated, config) => ({
            ...simulated,
            mod: createSimulatedAdapter(config.deployments.find((d) => d.name === 'mod')!),
          }),
        }
      : {}),
  });
  /** What the moderation deployment's and the tenant's budgets count as spent today. */
  const spent = async () => {
    const { at, tenant } = await app.spent('mod');
    return { mod: at, tenant };
  };
  return { t: app.t, settled: app.settled, spent };
}

const chat = (content: string, stream = false) => ({
  method: 'POST' as const,
  url: '/v1/chat/completions',
  payload: { model: 'model-router', messages: [{ role: 'user', content }], stream },
});

/** What the record's content-filter calls cost. */
const filterCallsCost = (r: RequestRecord) =>
  filterCalls(r).reduce((n, a) => n + (a.costUsd ?? 0), 0);

describe("the content filter's moderation calls count in the chat request they were made for", () => {
  it('a JSON answer: the prompt and the answer checked at mod, in the record, summary, metrics, live and seeded budgets; the chat attempt and served deployment unchanged', async () => {
    const { t, settled, spent } = await setup();
    const content = 'What is the capital of France? Please answer in one short sentence.';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    const answer = res.json().choices[0].message.content as string;
    expect(answer.length).toBeGreaterThan(0);
    // A lookup is not a chat attempt: the headers and the served deployment are the chat's.
    expect(res.headers['x-router-attempts']).toBe('1');
    const served = String(res.headers['x-router-deployment']);
    expect(['big', 'mid', 'small']).toContain(served);
    const record = t.records.at(-1)!;
    expect(record.deployment).toBe(served);
    expect(record.attempts.filter((a) => !a.lookup)).toEqual([
      expect.objectContaining({ deployment: served, outcome: 'ok' }),
    ]);
    const calls = filterCalls(record);
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const expected = moderationCost(promptText(content), answer);
    expect(calls[0]!.costUsd! + calls[1]!.costUsd!).toBeCloseTo(expected, 15);
    expect(record.costUsd).toBeGreaterThan(expected); // the chat answer's own cost besides
    expect(record.usageEstimated).toBe(true);
    expect(settled.at(-1)!.costUsd).toBeCloseTo(record.costUsd, 15);
    // Counted where it was made: the summary by deployment, /metrics, the live budgets.
    const atMod = await summaryAt([record], 'mod');
    expect(atMod?.costUsd).toBeCloseTo(expected, 15);
    const atServed = await summaryAt([record], served);
    expect(atServed?.costUsd).toBeCloseTo(record.costUsd - expected, 15);
    expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
    const live = await spent();
    expect(live.mod).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(record.costUsd, 12);
    expect(await seededSpend(record, t.clock, t.config, 'mod')).toBeCloseTo(expected, 12);
  });

  it('a prompt the moderation model blocks: the 400 costs its call, at mod', async () => {
    const { t, settled, spent } = await setup();
    const content = 'I want to kill them.';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('content_filter');
    const record = t.records.at(-1)!;
    const expected = moderationCost(promptText(content));
    expect(record.attempts).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', lookup: 'content_filter' }),
    ]);
    expect(record.costUsd).toBeCloseTo(expected, 15);
    expect(record.deployment ?? '').toBe(''); // no chat deployment was called
    expect(settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect(await metricCostAt(record, 'mod')).toBeCloseTo(expected, 15);
    const live = await spent();
    expect(live.mod).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(expected, 12);
    expect(await seededSpend(record, t.clock, t.config, 'mod')).toBeCloseTo(expected, 12);
  });

  it('a streamed answer: the prompt and the whole answer checked at mod, counted there', async () => {
    const { t, spent } = await setup();
    const content = 'Name three rivers of Europe, briefly.';
    const res = await t.app.inject(chat(content, true));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    await waitFor(() => expect(t.records).toHaveLength(1));
    const record = t.records[0]!;
    const calls = filterCalls(record);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((a) => a.deployment === 'mod' && (a.costUsd ?? 0) > 0)).toBe(true);
    const expected = calls.reduce((n, a) => n + a.costUsd!, 0);
    expect(calls[0]!.costUsd).toBeCloseTo(moderationCost(promptText(content)), 15);
    expect(record.costUsd).toBeGreaterThan(expected);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected, 12);
  });

  it("a moderation call the filter's timeout stopped with the text sent: not blocking, but charged the text at mod", async () => {
    const { t, spent } = await setup({ slowMod: true });
    const content = 'Which is the longest river of Africa?';
    const res = await t.app.inject(chat(content));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-attempts']).toBe('1');
    const record = t.records.at(-1)!;
    const calls = filterCalls(record);
    // The prompt's call, then the answer's: each stopped at 100 ms with its text sent.
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'aborted'],
      ['mod', 'aborted'],
    ]);
    const answer = res.json().choices[0].message.content as string;
    const expected = moderationCost(promptText(content), answer);
    expect(calls[0]!.costUsd! + calls[1]!.costUsd!).toBeCloseTo(expected, 15);
    expect((await summaryAt([record], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected, 12);
  });

  it('an answer from the cache: its prompt and answer checked at mod, settled with them', async () => {
    const { t, settled, spent } = await setup({ cache: true });
    const content = 'What is the boiling point of water at sea level?';
    expect((await t.app.inject(chat(content))).statusCode).toBe(200);
    const first = t.records.at(-1)!;
    const hit = await t.app.inject(chat(content));
    expect(hit.statusCode).toBe(200);
    expect(hit.headers['x-router-cache']).toBe('hit');
    expect(hit.headers['x-router-attempts']).toBe('0');
    const record = t.records.at(-1)!;
    expect(record.cache).toBe('hit');
    const calls = filterCalls(record);
    expect(calls.map((a) => [a.deployment, a.outcome])).toEqual([
      ['mod', 'ok'],
      ['mod', 'ok'],
    ]);
    const answer = hit.json().choices[0].message.content as string;
    const expected = moderationCost(promptText(content), answer);
    expect(record.costUsd).toBeCloseTo(expected, 15); // a hit costs nothing else
    expect(settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await spent()).mod).toBeCloseTo(expected + filterCallsCost(first), 12);
  });
});
