// Time windows as people write them on a command line or in a query string: a duration back from
// now (`7d`, `24h`, `30m`, `90s`) or a date / date-time (`2026-11-01`, `2026-11-01T12:00:00Z`).
import { isCalendarDate } from './calendar-date.js';

const UNITS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(d|h|m|s)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2] as keyof typeof UNITS] : undefined;
}

/**
 * The one value of a parameter that may come as several: fastify reads a repeated query parameter
 * (`?since=1h&since=2h`) as an array, which is an Error naming it rather than a guess at which one
 * was meant.
 */
export function oneValue(text: string | readonly string[], name: string): string {
  if (typeof text === 'string') return text;
  const given = text.slice(0, 3).map((v) => `"${v.slice(0, 40)}"`);
  throw new Error(
    `${name} was given more than once (${given.join(', ')}${text.length > 3 ? ', …' : ''}): give it once`,
  );
}

/**
 * `7d`, `24h`, `30m`, `90s` → milliseconds; the error names the `flag` it came from (a query
 * parameter given more than once comes as an array, refused).
 */
export function parseDuration(given: string | readonly string[], flag = '--since'): number {
  const text = oneValue(given, flag);
  const ms = durationMs(text);
  if (ms === undefined)
    throw new Error(`${flag} must look like 7d, 24h, 30m or 90s (got "${text}")`);
  return ms;
}

/**
 * One end of a window in epoch ms: a duration back from `now`, or an ISO 8601 date or date-time
 * (a date alone is midnight; without a zone, UTC). Throws an Error naming `name` and what to write
 * (a query parameter given more than once comes as an array, refused).
 */
export function parseTimeBound(
  given: string | readonly string[],
  now: number,
  name: string,
): number {
  const text = oneValue(given, name);
  const t = text.trim();
  const back = durationMs(t);
  if (back !== undefined) return now - back;
  const iso =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(t);
  if (iso) {
    // Without a zone, UTC (not the server's local time), so every replica reads it alike.
    const zone = iso[3]?.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') ?? 'Z';
    const ms = Date.parse(`${iso[1]}T${iso[2] ?? '00:00:00'}${zone}`);
    // Date.parse rolls 2026-02-31 over into March: a day that does not exist is a mistake.
    if (Number.isFinite(ms) && isCalendarDate(iso[1]!)) return ms;
  }
  throw new Error(
    `${name} must be a duration back from now (7d, 24h, 30m, 90s) or a date such as 2026-11-01 or 2026-11-01T12:00:00Z (got "${text.slice(0, 60)}")`,
  );
}

/** A command line's `--since` / `--until` (default now) window; throws when either is malformed
 * or `--since` is not before `--until`. */
export function parseCliWindow(
  since: string,
  until: string | undefined,
  now: number,
): { since: number; until: number } {
  const from = parseTimeBound(since, now, '--since');
  const to = until === undefined ? now : parseTimeBound(until, now, '--until');
  if (from >= to) throw new Error('--since must be before --until');
  return { since: from, until: to };
}
