// Where a request's upstream calls count in the usage summary. By deployment and by model, a call
// made at another deployment than the one the record names (a failover's first, timed-out try)
// counts there, with its own estimated cost (AttemptRecord.costUsd); the request itself, and the
// rest of its cost, stay with the deployment that served. sql/summary-sql.ts mirrors this.
import type { AttemptRecord, RequestRecord } from './request-record.js';

/** An upstream call made at another deployment than the request's own, as a summary counts it. */
export interface CallElsewhere {
  deployment?: string;
  model?: string;
  /** What the call was charged though it gave no answer (AttemptRecord.costUsd), else 0. */
  costUsd: number;
}

/**
 * The groupings that put each call under the deployment (or model) it was made at. The others
 * (key, tenant, tag…) name something every call of a request shares.
 */
export function splitsCalls(by: string): by is 'deployment' | 'model' {
  return by === 'deployment' || by === 'model';
}

/** An attempt that called its upstream: any but one passed over (`skipped`). */
export function isCall(a: Pick<AttemptRecord, 'outcome'>): boolean {
  return a.outcome !== 'skipped';
}

/** How many upstream calls a request made (its attempts not passed over). */
export function countCalls(attempts: readonly AttemptRecord[]): number {
  let n = 0;
  for (const a of attempts) if (isCall(a)) n++;
  return n;
}

/**
 * The request's calls made at other deployments than the one its record names (all of them when
 * it names none), or undefined when there are none: the common case costs no allocation.
 */
export function callsElsewhere(
  r: Pick<RequestRecord, 'attempts' | 'deployment'>,
): CallElsewhere[] | undefined {
  let out: CallElsewhere[] | undefined;
  for (const a of r.attempts)
    if (isCall(a) && a.deployment !== r.deployment)
      (out ??= []).push({ deployment: a.deployment, model: a.model, costUsd: a.costUsd ?? 0 });
  return out;
}

/**
 * The group a call made elsewhere counts in: its deployment, or its model as configured (a call
 * that gave no answer has no model reported), as a request's group falls back to its deployment.
 */
export function callGroup(c: CallElsewhere, by: 'deployment' | 'model'): string {
  // `??` as SQL's COALESCE: a row logged without the field reads it as missing, not as ''.
  return (by === 'deployment' ? c.deployment : (c.model ?? c.deployment)) ?? '(none)';
}
