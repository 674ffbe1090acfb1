// A budget's spend history from the request log's database (SQLite or PostgreSQL): what its key,
// tenant, end user or tag spent in a period, or what was spent at its deployment, summed in the
// database (`spend`, sql/spend-sql.ts: indexed sums), where a budget the process meets for the
// first time starts counting (policy/budget-seeding.ts).
import type { SpendHistory } from '../policy/budget-seeding.js';
import type { RequestLogStore } from './request-log.js';
import type { UsageFilter } from './request-summary.js';

/** A window of the request log whose spend a store sums (`RequestLogStore.spend`). */
export interface SpendQuery {
  since: number;
  until: number;
  /** The requests whose whole cost counts: a key's, tenant's, end user's or tag's. */
  filter?: UsageFilter;
  /**
   * Only what was spent at this deployment: each upstream call's cost where it was made, as live
   * counting charges a deployment's budget and the usage summary by deployment counts it
   * (attempt-attribution.ts). A call charged without answering (timed out, stopped in flight)
   * counts at its own deployment, the rest of a request's cost at the one that served.
   */
  spentAt?: string;
}

/** The history, or undefined where the store cannot sum (none is kept in memory). */
export function spendHistory(store: RequestLogStore): SpendHistory | undefined {
  const spend = store.spend?.bind(store);
  if (!spend) return undefined;
  return async (counter, since, until) => {
    // A deployment's budget counts what was spent there; the others count whole requests, every
    // try included, as their clients pay for them.
    if (counter.scope === 'deployment') return spend({ since, until, spentAt: counter.id });
    const filter: UsageFilter =
      counter.scope === 'key'
        ? { keyId: counter.id }
        : counter.scope === 'tenant'
          ? { tenant: counter.id }
          : counter.scope === 'user'
            ? { tenant: counter.tenant, endUser: counter.id }
            : { tenant: counter.tenant, tag: counter.id };
    return spend({ since, until, filter });
  };
}
