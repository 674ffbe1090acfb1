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

describe('CircuitBreakers with settings per deployment (config, hot reload)', () => {
  it("follows each deployment's own settings", () => {
    const clock = createManualClock();
    const own = { failureThreshold: 1, windowMs: 1_000, openMs: 9_000 };
    const shared = { failureThreshold: 3, windowMs: 1_000, openMs: 2_000 };
    const b = new CircuitBreakers(clock, (d) => (d === 'flaky' ? own : shared));
    b.failure('flaky');
    b.failure('steady');
    b.failure('steady');
    expect(b.state('flaky')).toBe('open');
    expect(b.state('steady')).toBe('closed');
    b.failure('steady');
    expect(b.state('steady')).toBe('open');
    clock.advance(2_000);
    expect(b.state('steady')).toBe('half-open');
    expect(b.state('flaky')).toBe('open');
    clock.advance(7_000);
    expect(b.state('flaky')).toBe('half-open');
  });

  it('counts failures by the settings of the moment; an open circuit keeps the period it opened with', () => {
    const clock = createManualClock();
    let settings = { failureThreshold: 3, windowMs: 10_000, openMs: 5_000 };
    const b = new CircuitBreakers(clock, () => settings);
    b.failure('x');
    b.failure('x');
    expect(b.state('x')).toBe('closed');
    // A reload lowers the threshold: the failures already counted count against it.
    settings = { ...settings, failureThreshold: 2, openMs: 60_000 };
    b.failure('x');
    expect(b.state('x')).toBe('open');
    // Opened under the new settings: open for 60 s, whatever a later reload says.
    settings = { ...settings, openMs: 1_000 };
    clock.advance(59_999);
    expect(b.state('x')).toBe('open');
    clock.advance(1);
    expect(b.state('x')).toBe('half-open');
    // The failed probe re-opens it for the openMs of now.
    b.begin('x');
    b.failure('x');
    clock.advance(999);
    expect(b.state('x')).toBe('open');
    clock.advance(1);
    expect(b.state('x')).toBe('half-open');
  });

  it('drops failures older than the window of the moment', () => {
    const clock = createManualClock();
    let settings = { failureThreshold: 2, windowMs: 10_000, openMs: 1_000 };
    const b = new CircuitBreakers(clock, () => settings);
    b.failure('x');
    clock.advance(5_000);
    settings = { ...settings, windowMs: 4_000 };
    b.failure('x');
    expect(b.state('x')).toBe('closed');
    expect(b.settings('x')).toBe(settings);
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
