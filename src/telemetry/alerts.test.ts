import { describe, expect, it } from 'vitest';
import type { Config } from '../config/schema.js';
import { createManualClock } from '../core/clock.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { Alerter, circuitAlert, type Alert, type Post } from './alerts.js';

type Hook = Config['alerts']['webhooks'][number];

function setup(webhooks: Hook[], fail = false) {
  const clock = createManualClock(Date.UTC(2026, 11, 1, 12));
  const state = new MemoryState(clock);
  const sent: { url: string; body: unknown; headers: Record<string, string> }[] = [];
  const results: [string, boolean, string | undefined][] = [];
  const post: Post = async (url, body, headers) => {
    if (fail) throw new Error('connect ECONNREFUSED');
    sent.push({ url, body: JSON.parse(body), headers });
    return 204;
  };
  const make = () =>
    new Alerter({
      config: () => ({ webhooks, minIntervalSeconds: 300, timeoutMs: 1000 }),
      state,
      clock,
      post,
      onResult: (a, url, ok, error) => results.push([a.event, ok, error]),
    });
  return { clock, state, sent, results, alerter: make(), make };
}

const hook = (over: Partial<Hook> = {}): Hook => ({
  url: 'http://127.0.0.1:9/hook',
  events: ['budget_threshold', 'budget_exhausted', 'circuit_open', 'circuit_closed'],
  format: 'json',
  ...over,
});

describe('Alerter', () => {
  it('sends an event to the webhooks that asked for it, as JSON or as Slack text', async () => {
    const { alerter, sent } = setup([
      hook({ url: 'http://127.0.0.1:9/all', headers: { authorization: 'Bearer t' } }),
      hook({ url: 'http://127.0.0.1:9/slack', format: 'slack', events: ['circuit_open'] }),
      hook({ url: 'http://127.0.0.1:9/budgets', events: ['budget_exhausted'] }),
    ]);
    alerter.emit(circuitAlert('gpt-4.1', 'open'));
    await alerter.idle();
    expect(sent.map((s) => s.url)).toEqual(['http://127.0.0.1:9/all', 'http://127.0.0.1:9/slack']);
    expect(sent[0]!.body).toMatchObject({
      event: 'circuit_open',
      subject: 'gpt-4.1',
      time: '2026-12-01T12:00:00.000Z',
      details: { deployment: 'gpt-4.1', failureThreshold: 5 },
    });
    expect(sent[0]!.headers).toEqual({ authorization: 'Bearer t' });
    expect(sent[1]!.body).toEqual({
      text: expect.stringMatching(
        /^\[model-router\] Deployment gpt-4\.1 failed 5 times within 30 s/,
      ),
    });
  });

  it('sends one event about one subject once in its window, then again after it', async () => {
    const { alerter, sent, clock } = setup([hook()]);
    const open = circuitAlert('a', 'open');
    alerter.emit(open);
    alerter.emit(open);
    alerter.emit(circuitAlert('b', 'open'));
    await alerter.idle();
    expect(sent.map((s) => (s.body as Alert).subject)).toEqual(['a', 'b']);
    clock.advance(300_000);
    alerter.emit(open);
    await alerter.idle();
    expect(sent).toHaveLength(3);
    // A window of its own (a budget: until its period resets).
    const budget: Alert = {
      event: 'budget_exhausted',
      subject: 'budget:key:k1:d:2026-12-01',
      message: 'm',
      details: {},
    };
    alerter.emit(budget, clock.now() + 3_600_000);
    clock.advance(1_800_000);
    alerter.emit(budget, clock.now() + 1_800_000);
    await alerter.idle();
    expect(sent).toHaveLength(4);
  });

  it('replicas sharing state send an event once between them', async () => {
    const { make, sent } = setup([hook()]);
    const [one, two] = [make(), make()];
    one.emit(circuitAlert('a', 'open'));
    two.emit(circuitAlert('a', 'open'));
    await Promise.all([one.idle(), two.idle()]);
    expect(sent).toHaveLength(1);
  });

  it('a webhook that fails is reported, never thrown; no webhook, nothing happens', async () => {
    const failing = setup([hook()], true);
    failing.alerter.emit(circuitAlert('a', 'closed'));
    await failing.alerter.idle();
    expect(failing.results).toEqual([['circuit_closed', false, 'connect ECONNREFUSED']]);
    const none = setup([]);
    none.alerter.emit(circuitAlert('a', 'open'));
    await none.alerter.idle();
    expect(none.sent).toEqual([]);
    expect(await none.state.readCounters(['alert:circuit_open:a'])).toEqual([0]);
  });
});
