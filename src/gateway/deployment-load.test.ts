import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { DeploymentLoad, LATENCY_STALE_MS } from './deployment-load.js';

describe('DeploymentLoad', () => {
  it('counts calls in flight per deployment', () => {
    const load = new DeploymentLoad(createManualClock());
    load.begin('a');
    load.begin('a');
    load.begin('b');
    load.end('a');
    expect(load.inFlight('a')).toBe(1);
    expect(load.inFlight('b')).toBe(1);
    expect(load.inFlight('never')).toBe(0);
    load.end('never');
    expect(load.inFlight('never')).toBe(0);
  });

  it('keeps a moving average per kind that follows a change within a few calls', () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    load.observe('a', 'answer', 100);
    expect(load.latencyMs('a', 'answer')).toBe(100);
    expect(load.latencyMs('a', 'firstToken')).toBeUndefined();
    load.observe('a', 'answer', 600);
    // One slow answer moves it a fifth of the way.
    expect(load.latencyMs('a', 'answer')).toBe(200);
    for (let i = 0; i < 20; i++) load.observe('a', 'answer', 600);
    expect(load.latencyMs('a', 'answer')).toBeGreaterThan(590);
    load.observe('a', 'firstToken', 30);
    expect(load.snapshot('a')).toEqual({ inFlight: 0, firstTokenMs: 30, answerMs: 595 });
  });

  it('forgets a latency not renewed for a minute and starts again from the next sample', () => {
    const clock = createManualClock();
    const load = new DeploymentLoad(clock);
    load.observe('a', 'answer', 1000);
    clock.advance(LATENCY_STALE_MS);
    expect(load.latencyMs('a', 'answer')).toBeUndefined();
    expect(load.snapshotAll()).toEqual({ a: { inFlight: 0 } });
    load.observe('a', 'answer', 50);
    expect(load.latencyMs('a', 'answer')).toBe(50);
  });
});
