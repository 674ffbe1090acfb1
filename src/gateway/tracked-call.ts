// One upstream call to one deployment with the bookkeeping every upstream call has: the breaker
// told a call began, the call counted in flight until it settles, its time to answer observed.
// Shared by embeddings, moderations and the semantic cache so all count their calls the same way.
import type { Clock } from '../core/clock.js';
import type { ProviderAdapter, UpstreamEmbeddingsRequest } from '../providers/types.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DeploymentLoad } from './deployment-load.js';

/** What tracking a call needs (a gateway's parts). */
export interface CallTracking {
  breakers: CircuitBreakers;
  load: DeploymentLoad;
  clock: Clock;
}

/** What an adapter's `embed` answers: the response and the upstream's headers. */
export type EmbedReply = Awaited<ReturnType<NonNullable<ProviderAdapter['embed']>>>;

/**
 * Runs `send` as a call to deployment `name`. `t0` is when the attempt began, so the latency
 * includes the rate-limit charge made before it. Telling the breaker of success or failure is the
 * caller's: a reply may still prove unusable. A half-open circuit's probe that throws is freed
 * here: a retryable failure the caller reports re-opens the circuit anyway, and any other end (a
 * 400, the client leaving) says nothing of the deployment's health, so the next request probes.
 */
export async function trackedCall<T>(
  tools: CallTracking,
  name: string,
  t0: number,
  send: () => Promise<T>,
): Promise<T> {
  const probe = tools.breakers.begin(name);
  tools.load.begin(name);
  try {
    const reply = await send();
    tools.load.observe(name, 'answer', tools.clock.perfNow() - t0);
    return reply;
  } catch (err) {
    if (probe) tools.breakers.abandonProbe(name);
    throw err;
  } finally {
    tools.load.end(name);
  }
}

/** `adapter.embed` (the caller checked the provider has one) as a tracked call. */
export function callEmbeddings(
  tools: CallTracking,
  adapter: ProviderAdapter,
  req: UpstreamEmbeddingsRequest,
  t0: number,
): Promise<EmbedReply> {
  return trackedCall(tools, req.deployment.name, t0, () => adapter.embed!(req));
}
