// A budget's spend history from the request log's database (SQLite or PostgreSQL): what its key,
// tenant, end user or tag spent in a period, or what its deployment served, summed in the
// database (`spend`: one indexed sum), where a budget the process meets for the first time starts
// counting (policy/budget-seeding.ts).
import type { SpendHistory } from '../policy/budget-seeding.js';
import type { RequestLogStore } from './request-log.js';
import type { UsageFilter } from './request-summary.js';

/** The history, or undefined where the store cannot sum (none is kept in memory). */
export function spendHistory(store: RequestLogStore): SpendHistory | undefined {
  const spend = store.spend?.bind(store);
  if (!spend) return undefined;
  return async (counter, since, until) => {
    const filter: UsageFilter | undefined =
      counter.scope === 'key'
        ? { keyId: counter.id }
        : counter.scope === 'tenant'
          ? { tenant: counter.id }
          : counter.scope === 'user'
            ? { tenant: counter.tenant, endUser: counter.id }
            : counter.scope === 'tag'
              ? { tenant: counter.tenant, tag: counter.id }
              : { deployment: counter.id };
    return spend({ since, until, filter });
  };
}
