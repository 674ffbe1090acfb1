// What the chat gateway (ChatGateway, chat-gateway.ts) is built from: config, adapters, routers,
// stores and the shared per-replica state; planning, token counting and cached answers read the
// same (plan-route.ts, count-tokens.ts, answer-from-cache.ts).
import type { RouterConfig } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ConfigHolder } from '../config/runtime-config.js';
import type { Clock } from '../core/clock.js';
import type { ProviderAdapter } from '../providers/types.js';
import type { DecisionStore } from '../routing/receipt.js';
import type { Router } from '../routing/router-types.js';
import type { RequestRecorder } from '../store/request-record.js';
import type { AnswerCache } from './answer-cache.js';
import type { CallDrain } from './call-drain.js';
import type { CircuitBreakers } from './circuit-breaker.js';
import type { DeploymentLoad } from './deployment-load.js';
import type { GatewayPolicies } from './gateway-types.js';
import type { SemanticCacheLog } from './semantic-cache.js';
import type { SemanticIndexFeed } from './shared-semantic-index.js';
import type { AffinityStore } from './session-affinity.js';

export interface GatewayDeps {
  config: ConfigHolder;
  adapters: { adapterFor(deployment: DeploymentConfig): ProviderAdapter };
  /** The router for a router deployment (by its configured version). */
  routerFor(router: RouterConfig): Router;
  clock: Clock;
  breakers: CircuitBreakers;
  decisions: DecisionStore;
  recorder: RequestRecorder;
  affinity: AffinityStore;
  policies?: GatewayPolicies;
  /** The answer cache's store; without one `cache.enabled` has no effect. */
  answerCache?: AnswerCache;
  /** Calls in flight and recent latency per deployment (shared with the embeddings gateway). */
  load?: DeploymentLoad;
  /** Where the semantic cache says it could not embed a conversation. */
  log?: SemanticCacheLog;
  /** The other replicas' semantic-cache vectors (`state.kind: redis`). */
  semanticFeed?: SemanticIndexFeed;
  /** The calls a shutdown stops at its drain deadline, shared with the named gateways'. */
  drain?: CallDrain;
}
