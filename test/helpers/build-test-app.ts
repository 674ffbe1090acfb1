// Builds the app in-process with scripted adapters, for `app.inject()` tests with no socket.
import type { BatchCallers } from '../../src/batch/batch-caller.js';
import { registerDashboardRoutes } from '../../src/dashboard/dashboard-routes.js';
import { LiveStats } from '../../src/dashboard/live-stats.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import { ConfigService } from '../../src/config/config-service.js';
import { ConfigVersionStore } from '../../src/store/config-versions.js';
import { MemoryState } from '../../src/store/memory/memory-state.js';
import { ConfigHolder, compileConfig } from '../../src/config/runtime-config.js';
import { registerAdminRoutes } from '../../src/http/routes/admin-routes.js';
import { registerResponsesRoutes } from '../../src/http/responses/responses-routes.js';
import { registerMessagesRoutes } from '../../src/http/anthropic/messages-routes.js';
import type { ResponseStore } from '../../src/store/response-store.js';
import {
  BackgroundResponses,
  type BackgroundDeps,
} from '../../src/http/responses/background-responses.js';
import type { Config } from '../../src/config/schema.js';
import { createManualClock } from '../../src/core/clock.js';
import { ChatGateway } from '../../src/gateway/chat-gateway.js';
import { liveBreakerSettings } from '../../src/config/circuit-breaker-schema.js';
import { CircuitBreakers, type CircuitBreakerOptions } from '../../src/gateway/circuit-breaker.js';
import type { GatewayPolicies } from '../../src/gateway/gateway-types.js';
import { createMemoryAffinityStore } from '../../src/gateway/session-affinity.js';
import { openAuthenticator, type Authenticator } from '../../src/http/auth-hook.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { createCheapestCapableRouter } from '../../src/routing/cheapest-capable-router.js';
import { DecisionStore } from '../../src/routing/receipt.js';
import { subsetNotes } from '../../src/routing/router-factory.js';
import type { Router } from '../../src/routing/router-types.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { AnswerCache } from '../../src/gateway/answer-cache.js';
import { registerCacheRoutes } from '../../src/http/routes/cache-routes.js';
import { EmbeddingsGateway } from '../../src/gateway/embeddings-gateway.js';
import { registerEmbeddingsRoutes } from '../../src/http/routes/embeddings-routes.js';
import { ModerationsGateway } from '../../src/gateway/moderations-gateway.js';
import { registerModerationsRoutes } from '../../src/http/routes/moderations-routes.js';
import { MediaGateway } from '../../src/gateway/media-gateway.js';
import { registerImagesRoutes } from '../../src/http/routes/images-routes.js';
import { registerAudioRoutes } from '../../src/http/routes/audio-routes.js';
import { registerImageEditRoutes } from '../../src/http/routes/image-edits-routes.js';
import { RerankGateway } from '../../src/gateway/rerank-gateway.js';
import { registerRerankRoutes } from '../../src/http/routes/rerank-routes.js';
import type { DeploymentConfig } from '../../src/config/deployment-schema.js';
import { memoryAnswerCache, type AnswerCacheStore } from '../../src/store/answer-cache-store.js';
import type { ChatCompletionStore } from '../../src/store/chat-completion-store.js';
import type { ConversationObjectStore } from '../../src/store/conversation-object-store.js';
import { createMemoryConversationObjectStore } from '../../src/store/memory/memory-conversation-object-store.js';
import { registerConversationRoutes } from '../../src/http/conversations/conversations-routes.js';
import type { BatchStore } from '../../src/store/batch-store.js';
import { RouterFiles } from '../../src/files/router-files.js';
import { registerFilesRoutes } from '../../src/http/routes/files-routes.js';
import {
  registerFeedbackRoutes,
  type FeedbackRouteDeps,
} from '../../src/http/routes/feedback-routes.js';
import type { RequestLog } from '../../src/store/request-log.js';

/** The simulated adapter of each of the config's deployments, answering at once (no sleep). */
export function simulatedAdapters(config: Config): Record<string, ProviderAdapter> {
  return Object.fromEntries(
    config.deployments.map((d) => [d.name, createSimulatedAdapter(d, { sleep: async () => {} })]),
  );
}

export interface TestApp {
  app: FastifyInstance;
  records: RequestRecord[];
  clock: ReturnType<typeof createManualClock>;
  breakers: CircuitBreakers;
  gateway: ChatGateway;
  config: ConfigHolder;
  configService: ConfigService;
  /** With `responses`: the background responses' runner (not started: no timers). */
  background?: BackgroundResponses;
}

export async function buildTestApp(
  config: Config,
  adapters: Record<string, ProviderAdapter>,
  opts: {
    router?: Router;
    policies?: GatewayPolicies;
    authenticator?: Authenticator;
    /** Fixed breaker settings; by default the config's (`circuitBreaker`), reloads included. */
    breaker?: CircuitBreakerOptions;
    /** Serve the Responses API with this store. */
    responses?: ResponseStore;
    /** Its background runs' settings besides the config's `responses.background` (polling). */
    background?: Omit<BackgroundDeps, 'store' | 'clock' | 'log'>;
    /** Where cached answers live (`cache.enabled`); in process by default. */
    answerCacheStore?: AnswerCacheStore;
    /** Where `store: true` chat completions are kept; in process by default. */
    chatCompletions?: ChatCompletionStore;
    /** With `responses`: where the Conversations API keeps conversations; in process by default. */
    conversations?: ConversationObjectStore;
    /** Serve the Files API over this store, its model-input files usable by id in requests. */
    files?: BatchStore;
    /** Records go to this request log too, and `POST /v1/feedback` reads it (404 without one). */
    requestLog?: RequestLog;
    /** The feedback route's waits for a request not yet in the log, and its metrics hook. */
    feedback?: Omit<FeedbackRouteDeps, 'log' | 'clock'>;
    /** Batch lines' one-time callers (the batch runner's in-process requests). */
    batchCallers?: BatchCallers;
  } = {},
): Promise<TestApp> {
  const clock = createManualClock();
  const holder = new ConfigHolder(compileConfig(config));
  const records: RequestRecord[] = [];
  const breakers = new CircuitBreakers(clock, opts.breaker ?? liveBreakerSettings(holder));
  const router = opts.router ?? createCheapestCapableRouter();
  const decisions = new DecisionStore();
  const stats = new LiveStats(1_000);
  const answerCache = new AnswerCache(
    opts.answerCacheStore ?? memoryAnswerCache(64e6, clock),
    clock,
  );
  const gatewayDeps = {
    config: holder,
    adapters: {
      adapterFor: (d: DeploymentConfig) => {
        const a = adapters[d.name];
        if (!a) throw new Error(`no fake adapter for ${d.name}`);
        return a;
      },
    },
    clock,
    breakers,
    recorder: {
      record: (r: RequestRecord) => (records.push(r), stats.record(r), opts.requestLog?.record(r)),
    },
    policies: opts.policies,
  };
  const gateway = new ChatGateway({
    ...gatewayDeps,
    routerFor: () => router,
    decisions,
    affinity: createMemoryAffinityStore(),
    answerCache,
  });
  const configService = new ConfigService(
    holder,
    new ConfigVersionStore({ state: new MemoryState(clock), clock }),
  );
  await configService.start();
  const background = opts.responses
    ? new BackgroundResponses({
        store: opts.responses,
        clock,
        log: { warn: () => {}, info: () => {} },
        // `responses.background` from the config, as the runtime reads it.
        settings: () => holder.current.config.responses.background,
        ...opts.background,
      })
    : undefined;
  const conversations = opts.conversations ?? createMemoryConversationObjectStore(10_000);
  const routerFiles = opts.files && new RouterFiles(opts.files, clock);
  const app = await buildApp({
    config: holder,
    gateway,
    authenticator: opts.authenticator ?? openAuthenticator,
    ...(opts.chatCompletions ? { chatCompletions: opts.chatCompletions } : {}),
    readiness: () => ({ ready: true, detail: {} }),
    ...(opts.batchCallers ? { batchCallers: opts.batchCallers } : {}),
    ...(routerFiles ? { routerFiles } : {}),
    plugins: [
      ...(opts.files
        ? [(a: FastifyInstance) => registerFilesRoutes(a, opts.files!, holder, clock)]
        : []),
      (a) => registerAdminRoutes(a, configService, (c) => subsetNotes(c, () => router)),
      (a) =>
        registerFeedbackRoutes(a, {
          ...opts.feedback,
          clock,
          ...(opts.requestLog ? { log: opts.requestLog } : {}),
        }),
      (a) => registerCacheRoutes(a, answerCache),
      (a) => registerEmbeddingsRoutes(a, new EmbeddingsGateway({ ...gatewayDeps, answerCache })),
      (a) => registerModerationsRoutes(a, new ModerationsGateway(gatewayDeps)),
      async (a) => {
        const media = new MediaGateway(gatewayDeps);
        registerImagesRoutes(a, media);
        await registerImageEditRoutes(a, media, { config: holder, files: routerFiles });
        await registerAudioRoutes(a, media);
      },
      (a) => registerRerankRoutes(a, new RerankGateway(gatewayDeps)),
      (a) => registerDashboardRoutes(a, { config: holder, stats, decisions }),
      (a) => registerMessagesRoutes(a, gateway, clock, routerFiles),
      ...(opts.responses
        ? [
            (a: FastifyInstance) =>
              registerResponsesRoutes(
                a,
                gateway,
                opts.responses!,
                holder,
                background!,
                conversations,
                undefined,
                routerFiles,
              ),
            (a: FastifyInstance) => registerConversationRoutes(a, conversations),
          ]
        : []),
    ],
  });
  return { app, records, clock, breakers, gateway, config: holder, configService, background };
}
