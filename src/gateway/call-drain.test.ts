// The shutdown drain's stop: every call in flight, and any that starts after, is aborted with a
// 503 `router_shutting_down` of its own (the gateway adds the request's headers to the one it gets).
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../core/errors.js';
import { CallDrain } from './call-drain.js';

describe('CallDrain', () => {
  it('stops each call with its own 503 router_shutting_down, and those that start after', () => {
    const drain = new CallDrain();
    const running = [new AbortController(), new AbortController()];
    for (const c of running) drain.track(c);
    expect(drain.stopAll()).toBe(2);
    const late = new AbortController();
    drain.track(late);
    const reasons = [...running, late].map((c) => c.signal.reason as GatewayError);
    for (const r of reasons) expect(r).toMatchObject({ status: 503, code: 'router_shutting_down' });
    expect(new Set(reasons).size).toBe(3);
    reasons[0]!.headers['x-router-attempts'] = '2';
    expect(reasons[1]!.headers['x-router-attempts']).toBeUndefined();
    expect(drain.size).toBe(1);
  });
});
