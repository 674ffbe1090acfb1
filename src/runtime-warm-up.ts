// Warm-up before the port opens (runtime.ts), so the first request does not pay for it: the
// configured routers' artefacts and the tokenizer, and what the other replicas share (the
// semantic cache's vectors, the sessions' deployments).
import type { Logger } from 'pino';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Config } from './config/schema.js';
import { loadTokenizer } from './core/prompt-text.js';
import type { ChatGateway } from './gateway/chat-gateway.js';
import type { SharedAffinityStore } from './gateway/shared-affinity.js';
import type { SemanticIndexFeed } from './gateway/shared-semantic-index.js';
import { subsetNotes, type RouterFactory } from './routing/router-factory.js';

/**
 * Loads the configured routers' artefacts (≈100 ms to parse the 5 MB default) and, for a
 * simulated fleet (which reports exact usage), the tokenizer (≈380 ms to import; otherwise it
 * loads only when a prompt comes near a context window); again for each config applied later.
 */
export async function warmUp(
  initial: Config,
  holder: ConfigHolder,
  routerFor: RouterFactory,
  logger: Logger,
): Promise<void> {
  // A config change warms the same way when it is applied, not on the next request (artefacts
  // are cached by version, so only new ones load).
  // It also says what the operator should know about each router's subset (unknown deployments,
  // `like:` names the artefact lacks, subsets over several data groups).
  const warm = (config: Config) => {
    for (const note of subsetNotes(config, routerFor)) logger.warn(`routing: ${note}`);
    return simulatedFleet(config) ? loadTokenizer() : undefined;
  };
  await warm(initial);
  holder.onChange((next, previous) => {
    if (next.config === previous.config) return; // the same config under its version number
    warm(next.config)?.catch((err: Error) => logger.warn(`tokenizer: ${err.message}`));
  });
}

export interface SharedWarmParts {
  initial: Config;
  holder: ConfigHolder;
  gateway: ChatGateway;
  affinity: SharedAffinityStore;
  semanticFeed: SemanticIndexFeed | undefined;
}

/**
 * A replica that starts (or turns the semantic cache on) loads what the others share first, so
 * it starts warm; start-up waits for that a short while at most.
 */
export async function warmFromReplicas({
  initial,
  holder,
  gateway,
  affinity,
  semanticFeed,
}: SharedWarmParts): Promise<void> {
  const semanticOn = (c: Config) => c.cache.enabled && c.cache.semantic.enabled;
  if (semanticFeed) {
    holder.onChange((next) => {
      if (semanticOn(next.config)) gateway.warmSemanticCache().catch(() => undefined);
    });
  }
  await within(
    Promise.all([
      affinity.caughtUp,
      semanticFeed && semanticOn(initial) ? gateway.warmSemanticCache() : undefined,
    ]),
    SHARED_LOAD_WAIT_MS,
  );
}

/** How long start-up waits for the shared semantic index and affinities to load. */
const SHARED_LOAD_WAIT_MS = 5_000;

/** Waits for `work`, but no longer than `ms`: it goes on in the background after that. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Whether a simulated deployment is configured: it reports exact usage with the tokenizer. */
function simulatedFleet(config: Config): boolean {
  return config.deployments.some((d) => d.provider === 'simulated');
}
