// One embeddings call to one deployment with the bookkeeping every upstream call has: the breaker
// told a call began, the call counted in flight until it settles, its time to answer observed.
// Shared by /v1/embeddings and the semantic cache so both count their calls the same way.
import type { Clock } from '../core/clock.js';
import type { ProviderAdapter, UpstreamEmbeddingsRequest } from '../providers/types.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DeploymentLoad } from './deployment-load.js';

/** What an adapter's `embed` answers: the response and the upstream's headers. */
export type EmbedReply = Awaited<ReturnType<NonNullable<ProviderAdapter['embed']>>>;

/**
 * Calls `adapter.embed` (the caller checked the provider has one) for `req.deployment`. `t0` is
 * when the attempt began, so the latency includes the rate-limit charge made before it. Telling
 * the breaker of success or failure is the caller's: a reply may still prove unusable.
 */
export async function callEmbeddings(
  tools: { breakers: CircuitBreakers; load: DeploymentLoad; clock: Clock },
  adapter: ProviderAdapter,
  req: UpstreamEmbeddingsRequest,
  t0: number,
): Promise<EmbedReply> {
  const name = req.deployment.name;
  tools.breakers.begin(name);
  tools.load.begin(name);
  try {
    const reply = await adapter.embed!(req);
    tools.load.observe(name, 'answer', tools.clock.perfNow() - t0);
    return reply;
  } finally {
    tools.load.end(name);
  }
}
