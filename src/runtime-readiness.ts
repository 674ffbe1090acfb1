// What /readyz says (STYLE.md: an operator can act on it): ready when the shared state is served
// (or not needed, or allowed to fail open), with each shared part's status as detail.
import type { BatchService } from './batch/batch-service.js';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Config } from './config/schema.js';
import type { AnswerCache } from './gateway/answer-cache.js';
import type { ChatGateway } from './gateway/chat-gateway.js';
import type { CircuitBreakers } from './gateway/circuit-breaker.js';
import type { DeploymentLoad } from './gateway/deployment-load.js';
import type { BackgroundResponses } from './http/responses/background-responses.js';
import type { ReadinessReport } from './http/routes/health-routes.js';
import type { RequestLog } from './store/request-log.js';
import type { SharedStateHandle } from './store/shared-state-factory.js';

export interface ReadinessParts {
  initial: Config;
  holder: ConfigHolder;
  shared: SharedStateHandle;
  answerCache: AnswerCache;
  gateway: ChatGateway;
  requestLog?: RequestLog;
  breakers: CircuitBreakers;
  load: DeploymentLoad;
  batches: BatchService;
  background: BackgroundResponses;
}

export function readinessReport(p: ReadinessParts): ReadinessReport {
  const state = p.shared.status();
  const semanticEntries = p.gateway.semanticEntries();
  return {
    ready:
      state.serving === 'redis' || state.kind === 'memory' || p.initial.state.onFailure === 'open',
    detail: {
      config_revision: p.holder.current.revision,
      shared_state: state,
      ...(p.holder.current.config.cache.enabled
        ? {
            answer_cache: {
              ...p.answerCache.status(),
              ...(semanticEntries !== undefined ? { semantic_entries: semanticEntries } : {}),
            },
          }
        : {}),
      request_log: p.requestLog?.status() ?? { kind: 'none' },
      circuits: p.breakers.snapshot(),
      cooling_down: p.breakers.coolingDownSnapshot(),
      deployment_load: p.load.snapshotAll(),
      batches: p.batches.runner.status(),
      background_responses: { running: p.background.running() },
    },
  };
}
