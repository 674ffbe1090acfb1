import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { CircuitBreakers, type CircuitState } from './circuit-breaker.js';

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
