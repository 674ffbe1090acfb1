// A simulated realtime deployment through the whole router (createRuntime listening on a port of
// 127.0.0.1), its responses held by `simulation.ttftMs` (task hRt4): one response at a time in the
// default conversation, as OpenAI's (a second is refused with an `error`
// `conversation_already_has_active_response` naming the client's event; out-of-band ones run
// beside it), and a response the client cancels recorded as a chat stream the client stops is
// (499 `client_closed_request`, charged the upstream's usage, no error of the deployment in the
// summaries or the metrics).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime.js';
import type { RequestRecord } from '../../store/request-record.js';
import { summarizeRecords } from '../../store/request-summary.js';
import { recordRequestMetrics, registry } from '../../telemetry/metrics.js';
import {
  openRealtimeClient,
  responseRecord,
  startRealtimeRouter,
} from '../../../test/helpers/realtime-client.js';
import { simDeployment } from '../../../test/helpers/test-config.js';

let rt: Runtime;
let url: (model: string) => string;
const records: RequestRecord[] = [];

beforeAll(async () => {
  ({ rt, url } = await startRealtimeRouter(
    records,
    // Held a minute before its output: long past any test, so only a cancel ends it.
    simDeployment('rt-held', {
      kind: 'realtime',
      model: 'rt-held-model',
      maxOutputTokens: undefined,
      prices: { inputPer1M: 4, outputPer1M: 16 },
      simulation: { ttftMs: 60_000, tokensPerSecond: 1_000_000, answerTokens: 20 },
    }),
  ));
});

afterAll(async () => {
  await rt?.close();
});

afterEach(() => {
  records.length = 0;
});

/** A client on the router; `until(type)` resolves with the events up to the next of `type`. */
async function open() {
  const { send, until, leave } = await openRealtimeClient(url('rt-held'), records);
  const next = async (type: string) => (await until(type)).at(-1)!;
  send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello.' }] },
  });
  await until('conversation.item.done');
  return { send, next, leave };
}

const byResponse = (n: number) => responseRecord(records, n);

describe('the simulated realtime fleet: one response at a time in the default conversation', () => {
  it('refuses a second response.create while one runs; an out-of-band one runs beside it', async () => {
    const c = await open();
    c.send({ type: 'response.create', event_id: 'first' });
    const first = (await c.next('response.created')).response as { id: string };
    c.send({ type: 'response.create', event_id: 'second' });
    expect((await c.next('error')).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'conversation_already_has_active_response',
      param: null,
      event_id: 'second',
      message: expect.stringContaining(first.id) as unknown,
    });
    // Out of band: started while the first still runs.
    c.send({ type: 'response.create', event_id: 'aside', response: { conversation: 'none' } });
    const aside = (await c.next('response.created')).response as Record<string, unknown>;
    expect(aside).toMatchObject({ status: 'in_progress', conversation_id: null });
    // The default conversation's own is the one a cancel naming none ends; the other by its id.
    c.send({ type: 'response.cancel' });
    expect((await c.next('response.done')).response).toMatchObject({
      id: first.id,
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'client_cancelled' },
    });
    c.send({ type: 'response.cancel', response_id: aside.id });
    expect((await c.next('response.done')).response).toMatchObject({
      id: aside.id,
      status: 'cancelled',
    });
    // Once it ended, the default conversation takes a response again.
    c.send({ type: 'response.create', event_id: 'third' });
    await c.next('response.created');
    await c.leave(4);
    // The refused one never started: free, with the upstream's refusal.
    expect(byResponse(2)).toMatchObject({
      status: 400,
      errorCode: 'conversation_already_has_active_response',
      costUsd: 0,
    });
  });
});

describe('a response the client cancels', () => {
  it('is recorded 499 client_closed_request, charged its usage, and no error of the deployment', async () => {
    const c = await open();
    c.send({ type: 'response.create' });
    await c.next('response.created');
    c.send({ type: 'response.cancel' });
    const done = (await c.next('response.done')).response as {
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(done.usage.input_tokens).toBeGreaterThan(0);
    await c.leave(1);
    const cancelled = byResponse(1)!;
    // The upstream's usage, at the deployment's prices ($4 / 1M input): not estimated.
    expect(cancelled).toMatchObject({
      status: 499,
      errorCode: 'client_closed_request',
      deployment: 'rt-held',
      promptTokens: done.usage.input_tokens,
      completionTokens: 0,
    });
    expect(cancelled.usageEstimated).toBeFalsy();
    expect(cancelled.costUsd).toBeCloseTo((done.usage.input_tokens * 4) / 1e6, 12);
    // As a stopped chat stream's attempt: aborted, not the deployment's error (the first
    // response's record lists the connect's attempt before it).
    expect(cancelled.attempts.map((a) => a.outcome)).not.toContain('error');
    expect(cancelled.attempts.at(-1)).toEqual(
      expect.objectContaining({
        deployment: 'rt-held',
        outcome: 'aborted',
        httpStatus: 499,
        errorCode: 'client_closed_request',
      }),
    );
    // The usage summary (and the dashboard, which reads the same rows): spent, no error.
    const summary = summarizeRecords(records, 'deployment', 0, Date.now() + 1);
    expect(summary).toMatchObject({ requests: 1, errorRate: 0, failoverRate: 0 });
    expect(summary.costUsd).toBeCloseTo(cancelled.costUsd, 12);
    expect(summary.groups[0]).toMatchObject({ key: 'rt-held', errors: 0, failovers: 0 });
    // The metrics: a 499 request, its cost, and no failed attempt at the deployment.
    registry.resetMetrics();
    recordRequestMetrics(cancelled);
    const series = async (name: string) =>
      (await registry.getSingleMetric(name)!.get()).values.filter(
        (v) => v.labels.deployment === 'rt-held',
      );
    expect(await series('model_router_failovers_total')).toEqual([]);
    expect(await series('model_router_requests_total')).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ status: '499' }), value: 1 }),
    ]);
    const cost = await series('model_router_cost_usd_total');
    expect(cost.reduce((s, v) => s + v.value, 0)).toBeCloseTo(cancelled.costUsd, 12);
  });
});
