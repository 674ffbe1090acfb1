// Receipts are kept by the replica that made the decision (DecisionStore, in memory), so behind a
// load balancer a lookup (`GET /v1/router/decisions/{id}`) usually lands on another one. With
// shared state in Redis, a replica that does not hold the receipt asks the others over pub/sub and
// waits a moment for the one that does. Nothing is written per request: only a lookup this replica
// cannot answer costs a message, and one no replica can answer costs the wait.
import { isObject } from '../core/is-object.js';
import { newId } from '../core/ids.js';
import type { SharedState } from '../store/shared-state.js';
import type { DecisionReceipt } from './receipt.js';

const ASK = 'receipts:ask';
const replyChannel = (replica: string) => `receipts:reply:${replica}`;
/** How long a lookup waits for another replica's answer (a pub/sub round trip is a millisecond or two). */
export const ASK_WAIT_MS = 300;

export interface SharedReceipts {
  /** This replica's receipt, else another replica's, else undefined. */
  find(id: string, tenant?: string): Promise<DecisionReceipt | undefined>;
  /** Stop answering and asking. */
  stop(): Promise<void>;
}

/**
 * `local` looks a receipt up on this replica (by decision id, or by `tenant`'s request id), as
 * the others will answer for theirs; `replica` is this process's id. With in-memory state there
 * is no other replica: `find` is `local`.
 */
export async function shareReceipts(
  state: SharedState,
  replica: string,
  local: (id: string, tenant?: string) => DecisionReceipt | undefined,
): Promise<SharedReceipts> {
  if (state.kind === 'memory')
    return { find: async (id, tenant) => local(id, tenant), stop: async () => {} };
  const waiting = new Map<string, (receipt: DecisionReceipt) => void>();
  const parse = (message: string): Record<string, unknown> | undefined => {
    try {
      const m: unknown = JSON.parse(message);
      return isObject(m) ? m : undefined;
    } catch {
      return undefined; // not ours
    }
  };
  const stopAnswering = await state.subscribe(ASK, (message) => {
    const m = parse(message);
    if (!m || m.from === replica || typeof m.id !== 'string' || typeof m.from !== 'string') return;
    const receipt = local(m.id, typeof m.tenant === 'string' ? m.tenant : undefined);
    if (receipt)
      state
        .publish(replyChannel(m.from), JSON.stringify({ nonce: m.nonce, receipt }))
        .catch(() => undefined);
  });
  const stopHearing = await state.subscribe(replyChannel(replica), (message) => {
    const m = parse(message);
    if (m && typeof m.nonce === 'string' && isObject(m.receipt))
      waiting.get(m.nonce)?.(m.receipt as unknown as DecisionReceipt);
  });
  return {
    async find(id, tenant) {
      const mine = local(id, tenant);
      if (mine) return mine;
      const nonce = newId('ask_');
      const answered = new Promise<DecisionReceipt | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), ASK_WAIT_MS);
        timer.unref();
        waiting.set(nonce, (receipt) => {
          clearTimeout(timer);
          resolve(receipt);
        });
      });
      try {
        await state.publish(ASK, JSON.stringify({ id, tenant, from: replica, nonce }));
        return await answered;
      } catch {
        return undefined; // Redis away: only this replica's receipts can be read
      } finally {
        waiting.delete(nonce);
      }
    },
    async stop() {
      await stopAnswering();
      await stopHearing();
    },
  };
}

/**
 * `shared`, reading the request log (`requestLog.storeReceipts`) before asking other replicas: a
 * receipt this replica no longer holds (a restart, past the 10,000 in memory) or another wrote to
 * a shared PostgreSQL log. The replicas are still asked when the log has none, for a decision not
 * yet written (the log writes in batches) or a log that is down.
 */
export function withLoggedReceipts(
  shared: SharedReceipts,
  log: { findReceipt(id: string, tenant?: string): Promise<DecisionReceipt | undefined> },
  local: (id: string, tenant?: string) => DecisionReceipt | undefined,
): SharedReceipts {
  return {
    async find(id, tenant) {
      const mine = local(id, tenant);
      if (mine) return mine;
      const logged = await log.findReceipt(id, tenant).catch(() => undefined);
      return logged ?? shared.find(id, tenant);
    },
    stop: () => shared.stop(),
  };
}
