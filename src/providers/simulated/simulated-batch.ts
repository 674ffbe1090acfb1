// The simulated fleet's Batch API, in process and with no network (so the demo and the tests can
// forward batch lines): a submitted batch completes `batchApi.completesAfterMs` after its creation
// (on the injected clock), and its lines are answered then, each as the simulated deployment
// answers a live call (its injected failures too). Batches live in this replica's memory: one
// another replica (or a restart) asks about is unknown, and ends `expired` with no results.
import { randomBytes } from 'node:crypto';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest, ChatResponse } from '../../core/wire-types.js';
import type {
  ProviderBatchApi,
  ProviderBatchLine,
  ProviderBatchResult,
  ProviderBatchState,
} from '../types.js';

interface SimBatch {
  groupId: string;
  lines: readonly ProviderBatchLine[];
  completesAt: number;
  cancelled: boolean;
}

/** `answer`: the deployment's live answer to one body, with no simulated delay. */
export function createSimulatedBatchApi(
  deployment: DeploymentConfig,
  now: () => number,
  answer: (body: ChatRequest, signal: AbortSignal) => Promise<ChatResponse>,
): ProviderBatchApi {
  const batches = new Map<string, SimBatch>();
  const delay = deployment.batchApi?.completesAfterMs ?? 0;
  return {
    submit(lines, tag) {
      const id = `batch_sim_${randomBytes(12).toString('hex')}`;
      batches.set(id, {
        groupId: tag.groupId,
        lines: [...lines],
        completesAt: now() + delay,
        cancelled: false,
      });
      return Promise.resolve(id);
    },
    find(tag) {
      for (const [id, batch] of batches)
        if (batch.groupId === tag.groupId) return Promise.resolve(id);
      return Promise.resolve(undefined);
    },
    async poll(id, signal): Promise<ProviderBatchState> {
      const batch = batches.get(id);
      if (!batch) return { done: true, status: 'expired', results: [] };
      if (batch.cancelled) {
        batches.delete(id);
        return { done: true, status: 'cancelled', results: [] };
      }
      if (now() < batch.completesAt) return { done: false, status: 'in_progress' };
      const results: ProviderBatchResult[] = [];
      for (const line of batch.lines) {
        try {
          results.push({
            customId: line.customId,
            status: 200,
            body: await answer(line.body, signal),
          });
        } catch (err) {
          const e = err instanceof GatewayError ? err : undefined;
          results.push({
            customId: line.customId,
            status: e?.status ?? 500,
            body: { error: { message: (err as Error).message, code: e?.code ?? 'server_error' } },
          });
        }
      }
      batches.delete(id);
      return { done: true, status: 'completed', results };
    },
    cancel(id) {
      const batch = batches.get(id);
      if (batch) batch.cancelled = true;
      return Promise.resolve();
    },
  };
}
