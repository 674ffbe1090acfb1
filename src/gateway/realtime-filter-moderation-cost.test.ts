// The content filter's calls to a priced moderation deployment on a realtime session's items
// (`conversation.item.create` text, RealtimeGateway.filterText) are paid for: with the session's
// next response to end (listed in its record, `lookup: 'content_filter'`, in its cost and settle),
// or, when no response read them (a blocked item, a session that ended first), with the session's
// own record, settled then. Counted at `mod` in the usage summary, /metrics and the live budgets.
// Before 2026-12-06 they counted nowhere. Real governance policies, filter and moderation gateway;
// the upstream session needs no socket (SessionResponses is driven with its events).
import { describe, expect, it } from 'vitest';
import {
  filterCalls,
  metricCostAt,
  moderationCost,
  pricedModerationApp,
  promptText,
  summaryAt,
} from '../../test/helpers/priced-moderation-filter.js';
import { simDeployment } from '../../test/helpers/test-config.js';
import { SessionResponses } from '../http/realtime/session-responses.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import { ANONYMOUS } from './gateway-types.js';
import { RealtimeGateway, type RealtimeCall } from './realtime-gateway.js';
import { realtimeCost } from './realtime-cost.js';

async function setup() {
  const upstream = {
    async openRealtime() {
      return { send: () => {}, close: () => {} };
    },
  } as unknown as ProviderAdapter;
  const app = await pricedModerationApp({
    deployments: [
      simDeployment('rt', {
        kind: 'realtime',
        model: 'rt-model',
        maxOutputTokens: undefined,
        prices: { inputPer1M: 4, outputPer1M: 16 },
      }),
    ],
    adapters: (sim) => ({ ...sim, rt: upstream }),
  });
  const records: RequestRecord[] = [];
  const gateway = new RealtimeGateway({
    config: app.t.config,
    adapters: { adapterFor: (d) => app.adapters[d.name]! },
    clock: app.t.clock,
    breakers: app.t.breakers,
    recorder: { record: (r) => records.push(r) },
    policies: app.policies,
  });
  const call = (id: string): RealtimeCall => ({
    auth: ANONYMOUS,
    headers: {},
    signal: new AbortController().signal,
    requestId: id,
    model: 'rt',
  });
  const link = await gateway.connect(call('sess'), {
    message: () => {},
    closed: () => {},
    oversized: () => {},
  });
  const responses = new SessionResponses(gateway, link, () =>
    gateway.startResponse(link, call('vad')),
  );
  const filter = (text: string) => gateway.filterText(link, call('sess'), text);
  return { ...app, gateway, link, responses, call, records, filter };
}

describe("the content filter's calls on a realtime session's items", () => {
  it("count with the session's next response", async () => {
    const s = await setup();
    const item = 'What is the weather like in Lisbon today?';
    expect(await s.filter(item)).toBe(item);
    s.responses.admitted(await s.gateway.admitResponse(s.link, s.call('r1')), 'evt_1');
    const usage = { input_tokens: 30, output_tokens: 20 };
    s.responses.watch(JSON.stringify({ type: 'response.created', response: { id: 'resp_1' } }));
    s.responses.watch(
      JSON.stringify({
        type: 'response.done',
        response: { id: 'resp_1', status: 'completed', usage },
      }),
    );
    const [record] = s.records.filter((r) => r.endpoint === 'realtime');
    const expected = moderationCost(promptText(item));
    expect(filterCalls(record!)).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', costUsd: expected }),
    ]);
    const own = realtimeCost(s.t.config.current.deployments.get('rt')!, usage).costUsd;
    expect(record!.costUsd).toBeCloseTo(own + expected, 15);
    expect(s.settled.at(-1)!.costUsd).toBeCloseTo(own + expected, 15);
    expect((await summaryAt([record!], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([record!], 'rt'))?.costUsd).toBeCloseTo(own, 15);
    expect(await metricCostAt(record!, 'mod')).toBeCloseTo(expected, 15);
    expect((await s.spent()).at).toBeCloseTo(expected, 12);
  });

  it("an item the filter blocked, no response after: the session's own record", async () => {
    const s = await setup();
    const item = 'I want to kill them.';
    await expect(s.filter(item)).rejects.toMatchObject({ code: 'content_filter' });
    s.gateway.finishSession(s.link, 200, 'client_closed');
    const [session] = s.records;
    expect(session!.endpoint).toBe('realtime.session');
    const expected = moderationCost(promptText(item));
    expect(filterCalls(session!)).toEqual([
      expect.objectContaining({ deployment: 'mod', outcome: 'ok', costUsd: expected }),
    ]);
    expect(session!.costUsd).toBeCloseTo(expected, 15);
    expect(s.settled.at(-1)!.costUsd).toBeCloseTo(expected, 15);
    expect((await summaryAt([session!], 'mod'))?.costUsd).toBeCloseTo(expected, 15);
    expect(await metricCostAt(session!, 'mod')).toBeCloseTo(expected, 15);
    const live = await s.spent();
    expect(live.at).toBeCloseTo(expected, 12);
    expect(live.tenant).toBeCloseTo(expected, 12);
  });
});
