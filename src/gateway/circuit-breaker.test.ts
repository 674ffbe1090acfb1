import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import {
  CircuitBreakers,
  MAX_COOL_DOWN_MS,
  retryAfterMs,
  type CircuitState,
} from './circuit-breaker.js';

describe('CircuitBreakers', () => {
  it('opens after N failures in the window, half-opens after the open period, closes on a good probe', () => {
    const clock = createManualClock();
    const changes: [string, CircuitState][] = [];
    const b = new CircuitBreakers(
      clock,
      { failureThreshold: 3, windowMs: 10_000, openMs: 5_000 },
      (d, s) => changes.push([d, s]),
    );
    b.failure('x');
    b.failure('x');
    expect(b.allows('x')).toBe(true);
    b.failure('x');
    expect(b.state('x')).toBe('open');
    expect(b.allows('x')).toBe(false);
    clock.advance(5_000);
    expect(b.state('x')).toBe('half-open');
    expect(b.allows('x')).toBe(true);
    b.begin('x');
    expect(b.allows('x')).toBe(false); // one probe at a time
    b.success('x');
    expect(b.state('x')).toBe('closed');
    expect(changes).toEqual([
      ['x', 'open'],
      ['x', 'half-open'],
      ['x', 'closed'],
    ]);
  });

  it('forgets failures older than the window, and a failed probe re-opens', () => {
    const clock = createManualClock();
    const b = new CircuitBreakers(clock, { failureThreshold: 2, windowMs: 1_000, openMs: 1_000 });
    b.failure('y');
    clock.advance(1_500);
    b.failure('y');
    expect(b.state('y')).toBe('closed');
    b.failure('y');
    expect(b.state('y')).toBe('open');
    clock.advance(1_000);
    b.begin('y');
    b.failure('y');
    expect(b.state('y')).toBe('open');
    expect(b.snapshot()).toEqual({ y: 'open' });
  });
});

describe('cool-down after an upstream 429', () => {
  it('reads how long to wait from retry-after-ms, retry-after seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterMs({ 'retry-after-ms': '1500', 'retry-after': '9' }, now)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 12:00:07 GMT' }, now)).toBe(7000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '0' }, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  it('skips a deployment until the wait has passed, a minute at most; without a wait, not at all', () => {
    const clock = createManualClock();
    const b = new CircuitBreakers(clock);
    b.coolDownAsAsked('x', {});
    expect(b.coolingDown('x')).toBe(false);
    b.coolDownAsAsked('x', { 'retry-after': '2' });
    expect(b.coolingDown('x')).toBe(true);
    expect(b.coolingLeftMs('x')).toBe(2000);
    // A shorter wait asked later does not shorten the one in force.
    b.coolDownAsAsked('x', { 'retry-after-ms': '500' });
    expect(b.coolingLeftMs('x')).toBe(2000);
    clock.advance(2000);
    expect(b.coolingDown('x')).toBe(false);
    b.coolDownAsAsked('y', { 'retry-after': '3600' });
    expect(b.coolingLeftMs('y')).toBe(MAX_COOL_DOWN_MS);
    // Cooling is not a circuit failure by itself.
    expect(b.state('y')).toBe('closed');
  });

  it('tells its listener of each cool-down it takes, and takes the ones other replicas heard of', () => {
    const clock = createManualClock();
    const told: [string, number][] = [];
    const b = new CircuitBreakers(clock, undefined, undefined, (d, until) => told.push([d, until]));
    b.coolDownAsAsked('x', { 'retry-after': '5' });
    expect(told).toEqual([['x', clock.now() + 5000]]);
    // A shorter wait changes nothing, so nothing is told.
    b.coolDownAsAsked('x', { 'retry-after': '1' });
    expect(told).toHaveLength(1);
    // From another replica: taken (capped at a minute from now), not told again.
    expect(b.coolUntil('y', clock.now() + 10 * MAX_COOL_DOWN_MS)).toBe(true);
    expect(b.coolingLeftMs('y')).toBe(MAX_COOL_DOWN_MS);
    expect(b.coolUntil('y', clock.now() + 1000)).toBe(false);
    expect(b.coolUntil('z', clock.now() - 1)).toBe(false);
    expect(told).toHaveLength(1);
    expect(b.coolingDownSnapshot()).toEqual({ x: 5, y: 60 });
    clock.advance(5000);
    expect(b.coolingDownSnapshot()).toEqual({ y: 55 });
  });
});
