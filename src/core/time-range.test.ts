import { describe, expect, it } from 'vitest';
import { oneValue, parseCliWindow, parseDuration, parseTimeBound } from './time-range.js';

describe('time windows', () => {
  const now = Date.parse('2026-12-01T18:00:00Z');

  it('a duration back from now', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseTimeBound('24h', now, '--since')).toBe(now - 86_400_000);
    expect(parseTimeBound(' 90s ', now, '--since')).toBe(now - 90_000);
  });

  it('a date (midnight UTC) or a date-time, UTC unless a zone is given', () => {
    expect(parseTimeBound('2026-11-01', now, 'since')).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(parseTimeBound('2026-11-01T12:30', now, 'since')).toBe(
      Date.parse('2026-11-01T12:30:00Z'),
    );
    expect(parseTimeBound('2026-11-01T12:30:00+0100', now, 'since')).toBe(
      Date.parse('2026-11-01T11:30:00Z'),
    );
    expect(parseTimeBound('2026-11-01 12:30:00.5Z', now, 'since')).toBe(
      Date.parse('2026-11-01T12:30:00.500Z'),
    );
  });

  it('anything else, or a day that does not exist, says what to write', () => {
    for (const bad of ['yesterday', '7 days', '2026-02-31', '2026-13-01', '2026-11-01T25:00'])
      expect(() => parseTimeBound(bad, now, 'until')).toThrow(
        /^until must be a duration back from now \(7d, 24h, 30m, 90s\) or a date/,
      );
    expect(() => parseDuration('1w')).toThrow(/--since must look like 7d/);
  });

  it('a query parameter given more than once (an array) is refused, naming it, not read as text', () => {
    expect(oneValue('1h', 'since')).toBe('1h');
    expect(() => parseTimeBound(['1h', '2h'], now, 'since')).toThrow(
      'since was given more than once ("1h", "2h"): give it once',
    );
    expect(() => parseDuration(['1m', '2m', '3m', '4m'], 'bucket')).toThrow(
      'bucket was given more than once ("1m", "2m", "3m", …): give it once',
    );
  });

  it('reads a command line window, --until defaulting to now, and refuses one that ends first', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(parseCliWindow('1d', undefined, now)).toEqual({ since: now - 86_400_000, until: now });
    expect(parseCliWindow('2026-11-01', '2026-12-01', now)).toEqual({
      since: Date.parse('2026-11-01T00:00:00Z'),
      until: Date.parse('2026-12-01T00:00:00Z'),
    });
    expect(() => parseCliWindow('2026-12-01', '2026-11-01', now)).toThrow(
      '--since must be before --until',
    );
    expect(() => parseCliWindow('1d', 'soon', now)).toThrow(/--until must be a duration/);
  });
});
