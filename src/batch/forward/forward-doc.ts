// What a forwarding batch keeps in its doc about the lines it sent to upstream Batch APIs, and
// the pure steps over it: a held line's record, splitting a deployment's lines into upstream
// batches within its limits, the wait between failing polls, and judging each line's upstream
// result (keep it, or run it live). Kept in the doc so a replica that takes the batch over polls
// the upstream batches instead of sending their lines again. A group is in the doc before its
// submit begins (with no upstream id yet): a replica that finds it so, or a submit whose outcome
// is unknown, looks the upstream batch up rather than sending its lines again.
import type { PlannedBatchLine } from '../../gateway/gateway-types.js';
import type { ProviderBatchResult } from '../../providers/types.js';
import type { AttemptRecord } from '../../store/request-record.js';

/** What a forwarded line's record needs when its upstream batch ends (from its plan). */
export interface ForwardedLine {
  /** The line's index in the input file. */
  line: number;
  requestId: string;
  promptTokens: number;
  /** The savings baseline's deployment (a router's top one, else the deployment itself). */
  top: string;
  router?: string;
  routingMode?: string;
  routerVersion?: string;
  decisionId?: string;
  tags?: string[];
  endUser?: string;
  /** The content filter's priced calls on the prompt (PlannedBatchLine.filterCalls). */
  filterCalls?: AttemptRecord[];
}

/** One upstream batch. */
export interface ForwardGroup {
  deployment: string;
  /**
   * Our id for the group: in its upstream batch's tags (metadata, input file name) and its lines'
   * custom_ids. Absent in groups saved by older versions (their custom_ids are `line-<n>`).
   */
  groupId?: string;
  /** The upstream's batch id; absent while the submit is under way or its outcome is unknown. */
  upstreamId?: string;
  /**
   * The upstream account it went to (upstream-apis.ts `upstreamAccount`: provider, base URL, key
   * variable; no secret): another replica reads it only through a deployment that has the same.
   */
  account?: string;
  /** Epoch ms the submit began. */
  submittedAt: number;
  /**
   * The submit's outcome is unknown (a timeout, a dropped connection, a 5xx on create, or a
   * replica that died during it): the upstream is asked for the group's batch until this time
   * (epoch ms); one found is adopted, and only an answer of "none" at or after it sends the lines
   * live.
   */
  lookUpUntil?: number;
  /** The upstream batch was found by a look-up, not returned by the create call. */
  found?: boolean;
  /** A cancel was sent upstream (our batch is being cancelled or expired). */
  cancelSent?: boolean;
  lines: ForwardedLine[];
}

export interface ForwardDoc {
  groups: ForwardGroup[];
  /** Lines an upstream batch gave back (a retryable failure): they run live, never forwarded again. */
  live: number[];
  /**
   * Lines given back (to run live, or, the batch ending, to end unrun) whose prompt the content
   * filter checked at a priced moderation deployment before they were held: the calls go with the
   * line's first live run (its record counts them), or, a line that ends unrun, in a record of
   * its own (`recordUnrunLine`); taken once. Kept here so a replica that takes the batch over
   * counts them too. Entries saved before 2026-12-07 have the line and its calls only.
   */
  carried?: CarriedLine[];
}

/** A line given back with the filter's calls on its prompt, and what its record needs. */
export type CarriedLine = Partial<ForwardedLine> & { line: number; filterCalls: AttemptRecord[] };

/** What a held line's record will need, from its plan. */
export function forwardedLine(
  index: number,
  requestId: string,
  planned: PlannedBatchLine,
): ForwardedLine {
  return {
    line: index,
    requestId,
    promptTokens: planned.promptTokens,
    top: planned.top.name,
    ...(planned.router !== undefined ? { router: planned.router } : {}),
    ...(planned.routingMode !== undefined ? { routingMode: planned.routingMode } : {}),
    ...(planned.routerVersion !== undefined ? { routerVersion: planned.routerVersion } : {}),
    ...(planned.decisionId !== undefined ? { decisionId: planned.decisionId } : {}),
    ...(planned.tags ? { tags: planned.tags } : {}),
    ...(planned.endUser !== undefined ? { endUser: planned.endUser } : {}),
    ...(planned.filterCalls?.length ? { filterCalls: planned.filterCalls } : {}),
  };
}

/** The longest wait between polls of an upstream batch that fail. */
const MAX_POLL_BACKOFF_MS = 600_000;

/** The wait before the next poll of an upstream batch after `failures` failed polls in a row. */
export function pollDelay(every: number, failures: number): number {
  if (failures === 0) return every;
  return Math.min(every * 2 ** Math.min(failures, 20), Math.max(every, MAX_POLL_BACKOFF_MS));
}

/**
 * The id of a line in an upstream batch: `<groupId>-line-<n>` (what Anthropic's custom_ids allow,
 * `[a-zA-Z0-9_-]{1,64}`), so results show whose they are; `line-<n>` in groups saved before.
 */
export function upstreamLineId(group: Pick<ForwardGroup, 'groupId'>, line: number): string {
  return group.groupId ? `${group.groupId}-line-${line}` : `line-${line}`;
}

/** The key a group is known by here (its group id; the upstream id for groups saved before). */
export function groupKey(group: ForwardGroup): string {
  return group.groupId ?? group.upstreamId ?? '';
}

/**
 * `items` in input order, cut into runs of at most `maxLines` items and `maxBytes` bytes (an item
 * larger than `maxBytes` alone is a run of its own: the upstream says what it makes of it).
 */
export function splitForUpstream<T extends { bytes: number }>(
  items: readonly T[],
  maxLines: number,
  maxBytes: number,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (run.length > 0 && (run.length >= maxLines || bytes + item.bytes > maxBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += item.bytes;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * The runs of `items` to submit now; `fullOnly`: a last run still below both limits is `rest`
 * (kept back: more lines may join it).
 */
export function runsToSubmit<T extends { bytes: number }>(
  items: readonly T[],
  maxLines: number,
  maxBytes: number,
  fullOnly: boolean,
): { runs: T[][]; rest: T[] } {
  const runs = splitForUpstream(items, maxLines, maxBytes);
  const last = runs[runs.length - 1];
  if (!fullOnly || !last || last.length >= maxLines) return { runs, rest: [] };
  if (last.reduce((n, x) => n + x.bytes, 0) >= maxBytes) return { runs, rest: [] };
  return { runs: runs.slice(0, -1), rest: last };
}

/** What becomes of a forwarded line once its upstream batch ended. */
export type UpstreamLineOutcome =
  /** The upstream's answer is the line's: 2xx to the output file, any other to the error file. */
  | { kind: 'answer'; status: number; body: unknown }
  /** No answer, or one a later try may better (408, 409, 429, 5xx): the line runs live. */
  | { kind: 'live'; why: string };

const RETRYABLE = new Set([408, 409, 429]);

/** Each line of `group` with its outcome, in the group's order. */
export function judgeUpstreamResults(
  group: ForwardGroup,
  results: readonly ProviderBatchResult[],
): { line: ForwardedLine; outcome: UpstreamLineOutcome }[] {
  const byId = new Map(results.map((r) => [r.customId, r]));
  return group.lines.map((line) => {
    const r = byId.get(upstreamLineId(group, line.line));
    if (!r) return { line, outcome: { kind: 'live', why: 'no result in the upstream batch' } };
    if ('error' in r)
      return { line, outcome: { kind: 'live', why: `${r.error.code}: ${r.error.message}` } };
    if (r.status >= 500 || RETRYABLE.has(r.status))
      return { line, outcome: { kind: 'live', why: `upstream status ${r.status}` } };
    return { line, outcome: { kind: 'answer', status: r.status, body: r.body } };
  });
}
