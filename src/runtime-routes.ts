// The route plugins the composition root (runtime.ts) mounts after the core routes: Responses,
// Conversations, Messages, batches, admin and settings, caches, usage and feedback, embeddings,
// moderations, realtime, images and audio, rerank, keys and the dashboard, each given the parts
// it uses.
import type { FastifyInstance } from 'fastify';
import { registerKeyRoutes } from './auth/key-routes.js';
import type { BatchService } from './batch/batch-service.js';
import type { ConfigService } from './config/config-service.js';
import type { ConfigHolder } from './config/runtime-config.js';
import type { Clock } from './core/clock.js';
import { deploymentHealth } from './dashboard/deployment-health.js';
import { registerDashboardRoutes } from './dashboard/dashboard-routes.js';
import type { LiveStats } from './dashboard/live-stats.js';
import type { RouterFiles } from './files/router-files.js';
import type { AnswerCache } from './gateway/answer-cache.js';
import type { ChatGateway } from './gateway/chat-gateway.js';
import type { CircuitBreakers } from './gateway/circuit-breaker.js';
import type { DeploymentLoad } from './gateway/deployment-load.js';
import { EmbeddingsGateway } from './gateway/embeddings-gateway.js';
import { MediaGateway } from './gateway/media-gateway.js';
import type { ModerationsGateway } from './gateway/moderations-gateway.js';
import { RealtimeGateway } from './gateway/realtime-gateway.js';
import { RerankGateway } from './gateway/rerank-gateway.js';
import { registerMessagesRoutes } from './http/anthropic/messages-routes.js';
import { registerConversationRoutes } from './http/conversations/conversations-routes.js';
import { registerRealtimeRoutes } from './http/realtime/realtime-routes.js';
import type { BackgroundResponses } from './http/responses/background-responses.js';
import { registerResponsesRoutes } from './http/responses/responses-routes.js';
import { registerAdminRoutes } from './http/routes/admin-routes.js';
import { registerAudioRoutes } from './http/routes/audio-routes.js';
import { registerCacheRoutes } from './http/routes/cache-routes.js';
import { registerEmbeddingsRoutes } from './http/routes/embeddings-routes.js';
import { registerFeedbackRoutes } from './http/routes/feedback-routes.js';
import { registerImageEditRoutes } from './http/routes/image-edits-routes.js';
import { registerImagesRoutes } from './http/routes/images-routes.js';
import { registerModerationsRoutes } from './http/routes/moderations-routes.js';
import { registerRerankRoutes } from './http/routes/rerank-routes.js';
import { registerSettingsRoutes } from './http/routes/settings-routes.js';
import { registerUsageRoutes } from './http/routes/usage-routes.js';
import type { DecisionStore } from './routing/receipt.js';
import { subsetNotes } from './routing/router-factory.js';
import type { RequestLog } from './store/request-log.js';
import type { createResponseStore } from './store/response-store.js';
import type { createSharedState } from './store/shared-state-factory.js';
import type * as Metrics from './telemetry/metrics.js';

/** What the route plugins are built from (runtime.ts builds each once). */
export interface RouteParts {
  gateway: ChatGateway;
  responses: ReturnType<typeof createResponseStore>;
  holder: ConfigHolder;
  background: BackgroundResponses;
  conversations: Parameters<typeof registerConversationRoutes>[1];
  authenticator: Parameters<typeof registerResponsesRoutes>[6];
  routerFiles: RouterFiles;
  clock: Clock;
  batches: BatchService;
  configService: ConfigService;
  routerFor: Parameters<typeof subsetNotes>[1];
  answerCache: AnswerCache;
  requestLog: RequestLog | undefined;
  keys: Parameters<typeof registerKeyRoutes>[1];
  budgets: Parameters<typeof registerUsageRoutes>[1]['budgets'];
  /** The Prometheus metrics, loaded when `telemetry.metrics` is on at start-up. */
  metrics: typeof Metrics | undefined;
  /** The parts the gateways of named calls share. */
  named: ConstructorParameters<typeof RerankGateway>[0];
  moderations: ModerationsGateway;
  stats: LiveStats;
  decisions: DecisionStore;
  shared: Awaited<ReturnType<typeof createSharedState>>;
  breakers: CircuitBreakers;
  load: DeploymentLoad;
  deploymentBudgets: Parameters<typeof deploymentHealth>[3];
}

/** The route plugins, in the order they are mounted. */
export function routePlugins(p: RouteParts): ((a: FastifyInstance) => void | Promise<void>)[] {
  const cfg = () => p.holder.current.config;
  return [
    (a) =>
      registerResponsesRoutes(
        a,
        p.gateway,
        p.responses,
        p.holder,
        p.background,
        p.conversations,
        p.authenticator,
        p.routerFiles,
      ),
    (a) => registerConversationRoutes(a, p.conversations),
    (a) => registerMessagesRoutes(a, p.gateway, p.clock, p.routerFiles),
    (a) => p.batches.register(a),
    (a) => registerAdminRoutes(a, p.configService, (c) => subsetNotes(c, p.routerFor)),
    (a) => registerSettingsRoutes(a, p.configService),
    (a) => registerCacheRoutes(a, p.answerCache),
    (a) =>
      registerUsageRoutes(a, {
        log: p.requestLog,
        keys: p.keys,
        budgets: p.budgets,
        maxRecords: () => cfg().requestLog.usageMaxRecords,
      }),
    (a) =>
      registerFeedbackRoutes(a, {
        log: p.requestLog,
        clock: p.clock,
        ...(p.metrics ? { onFeedback: p.metrics.recordFeedbackMetrics } : {}),
      }),
    (a) =>
      registerEmbeddingsRoutes(
        a,
        new EmbeddingsGateway({ ...p.named, answerCache: p.answerCache }),
      ),
    (a) => registerModerationsRoutes(a, p.moderations),
    (a) =>
      registerRealtimeRoutes(a, {
        gateway: new RealtimeGateway(p.named),
        config: p.holder,
        authenticator: p.authenticator,
        ...(p.metrics ? { onPause: p.metrics.countRealtimePause } : {}),
      }),
    async (a) => {
      const media = new MediaGateway(p.named);
      registerImagesRoutes(a, media);
      await registerImageEditRoutes(a, media, { config: p.holder, files: p.routerFiles });
      await registerAudioRoutes(a, media);
    },
    (a) => registerRerankRoutes(a, new RerankGateway(p.named)),
    (a) =>
      registerKeyRoutes(a, p.keys, () => ({
        routers: [...cfg().routers, ...cfg().pools].map((r) => r.name),
        deployments: cfg().deployments.map((d) => d.name),
        authMode: cfg().auth.mode,
      })),
    (a) =>
      registerDashboardRoutes(a, {
        config: p.holder,
        stats: p.stats,
        decisions: p.decisions,
        status: () => ({ shared_state: p.shared.status(), request_log: p.requestLog?.status() }),
        health: deploymentHealth(p.holder, p.breakers, p.load, p.deploymentBudgets),
      }),
  ];
}
