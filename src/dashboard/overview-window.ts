// The dashboard overview's window and bucket, read as GET /admin/v1/usage reads `since` (`3600s`,
// `60m`, `7d`, or a date) with the same parser. Something it cannot read is a 400 naming the
// parameter (given twice, too); a window or bucket outside what the live records hold is clamped
// and says so.
import { invalidRequest } from '../core/errors.js';
import { oneValue, parseDuration, parseTimeBound } from '../core/time-range.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The live records the overview reads go back 7 days. */
export const MAX_WINDOW_MS = 7 * 24 * HOUR_MS;

export interface OverviewWindow {
  windowMs: number;
  bucketMs: number;
  /** What was clamped, and to what (absent: nothing was). */
  warnings?: string[];
}

/** "3600" has no unit: it used to be read as milliseconds, so say how to write it now. */
function bareNumber(text: string, name: string): never {
  throw invalidRequest(
    `${name} needs a unit: write ${text}s for ${text} seconds (or 60m, 1h, 7d${name === 'since' ? ', or a date such as 2026-11-01' : ''}); got "${text.slice(0, 40)}".`,
    name,
    'invalid_value',
  );
}

/** The parameter's one value: given more than once (an array from fastify), a 400 saying so. */
function one(text: string | readonly string[], name: string): string {
  try {
    return oneValue(text, name);
  } catch (err) {
    throw invalidRequest((err as Error).message, name, 'invalid_value');
  }
}

function readSince(text: string, now: number): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) bareNumber(text.trim(), 'since');
  try {
    return parseTimeBound(text, now, 'since');
  } catch (err) {
    throw invalidRequest((err as Error).message, 'since', 'invalid_value');
  }
}

function readBucket(text: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) bareNumber(text.trim(), 'bucket');
  try {
    return parseDuration(text, 'bucket');
  } catch (err) {
    throw invalidRequest((err as Error).message, 'bucket', 'invalid_value');
  }
}

/** A duration in its largest whole unit; zero and fractions of a second in seconds (`0s`, `0.5s`). */
function human(ms: number): string {
  if (ms > 0 && ms % (24 * HOUR_MS) === 0) return `${ms / (24 * HOUR_MS)}d`;
  if (ms > 0 && ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms > 0 && ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * `since` (default 1h) between 1 minute and 7 days back; `bucket` (default a 60th of the window)
 * between 1 s and the window.
 */
export function overviewWindow(
  query: { since?: string | readonly string[]; bucket?: string | readonly string[] },
  now: number,
): OverviewWindow {
  const warnings: string[] = [];
  let windowMs = HOUR_MS;
  const sinceText = query.since === undefined ? undefined : one(query.since, 'since');
  const bucketText = query.bucket === undefined ? undefined : one(query.bucket, 'bucket');
  if (sinceText !== undefined && sinceText !== '') {
    const since = readSince(sinceText, now);
    if (since > now)
      throw invalidRequest(
        `since must be in the past (got "${sinceText.slice(0, 40)}").`,
        'since',
        'invalid_value',
      );
    windowMs = now - since;
  }
  if (windowMs < MINUTE_MS || windowMs > MAX_WINDOW_MS) {
    const to = windowMs < MINUTE_MS ? MINUTE_MS : MAX_WINDOW_MS;
    warnings.push(
      `since: the overview covers 1m to 7d (its live records); showing the last ${human(to)}, not ${human(windowMs)}`,
    );
    windowMs = to;
  }
  let bucketMs = Math.max(Math.ceil(windowMs / 60), 1_000);
  if (bucketText !== undefined && bucketText !== '') {
    const asked = readBucket(bucketText);
    bucketMs = Math.min(Math.max(asked, 1_000), windowMs);
    if (bucketMs !== asked)
      warnings.push(
        `bucket: at least 1s and at most the window (${human(windowMs)}); using ${human(bucketMs)}, not ${human(asked)}`,
      );
  }
  return { windowMs, bucketMs, ...(warnings.length ? { warnings } : {}) };
}
