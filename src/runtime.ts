// The composition root: builds every dependency from a config and wires them into the app
// (STYLE.md principle 5). main.ts and the e2e tests both start the router through here; its
// close() drains through runtime-shutdown.ts. The larger parts are built in the runtime-*.ts files
// beside it.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createGovernance } from './runtime-governance.js';
import { drainAndClose } from './runtime-shutdown.js';
import { readinessReport } from './runtime-readiness.js';
import { routePlugins } from './runtime-routes.js';
import { createBatches } from './runtime-batches.js';
import { createBreakers } from './runtime-breakers.js';
import { openRequestLog } from './runtime-request-log.js';
import { createResponses } from './runtime-responses.js';
import { openSharedState } from './runtime-shared-state.js';
import { warmFromReplicas, warmUp } from './runtime-warm-up.js';
import { ConfigService } from './config/config-service.js';
import { ConfigError } from './config/load-config.js';
import { ConfigHolder, compileConfig } from './config/runtime-config.js';
import type { Config } from './config/schema.js';
import { watchConfigFile } from './config/watch-config-file.js';
import { systemClock, type Clock } from './core/clock.js';
import { ChatGateway } from './gateway/chat-gateway.js';
import { DeploymentLoad } from './gateway/deployment-load.js';
import { newId } from './core/ids.js';
import { CallDrain } from './gateway/call-drain.js';
import { createSharedAffinityStore } from './gateway/shared-affinity.js';
import type { AffinityStore } from './gateway/session-affinity.js';
import { shareSemanticIndex } from './gateway/shared-semantic-index.js';
import { LiveStats } from './dashboard/live-stats.js';
import { trackUnusedConnections } from './http/track-unused-connections.js';
import { refusalRecord } from './http/record-refusals.js';
import { createHttpClient } from './providers/http-client.js';
import { createProviderRegistry } from './providers/registry.js';
import { DEFAULT_MODELS_DIR, createRouterFactory } from './routing/router-factory.js';
import { DecisionStore } from './routing/receipt.js';
import { ConfigVersionStore } from './store/config-versions.js';
import type { RequestLog } from './store/request-log.js';
import { createLogger } from './telemetry/logger.js';
import type { RequestRecorder } from './store/request-record.js';
import { createAnswerCacheStore } from './store/answer-cache-store.js';
import { AnswerCache } from './gateway/answer-cache.js';
import { ModerationsGateway } from './gateway/moderations-gateway.js';
import { spendHistory } from './store/spend-history.js';
import { shareReceipts, withLoggedReceipts } from './routing/shared-receipts.js';

export interface RuntimeOptions {
  clock?: Clock;
  /** Replace the request recorder (tests). */
  recorder?: RequestRecorder;
  /** Pino destination override (tests pass a stream to inspect logs). */
  logStream?: NodeJS.WritableStream;
  /** The config file to watch for changes (hot reload). */
  configPath?: string;
}

export interface Runtime {
  app: FastifyInstance;
  /** A one-off admin key made at start when `auth.adminKeyEnv` names an unset variable. */
  ephemeralAdminKey?: string;
  config: ConfigHolder;
  gateway: ChatGateway;
  /** Which deployment served each session last (with Redis, as every replica heard it). */
  affinity: AffinityStore;
  requestLog?: RequestLog;
  /** Stop accepting, drain in-flight requests, flush the request log, close pools. */
  close(): Promise<void>;
}

export async function createRuntime(
  initial: Config,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  // A router whose artefact version cannot be loaded is refused before anything is opened. (The
  // factory warns only when a router is asked for, after the logger below exists.)
  const routerFor = createRouterFactory(initial.routing.modelsDir ?? DEFAULT_MODELS_DIR, (msg) =>
    logger.warn(msg),
  );
  const versionIssues = routerFor.issues(initial);
  if (versionIssues.length) throw ConfigError.of(versionIssues);
  const holder = new ConfigHolder(compileConfig(initial));
  // Optional parts load only when configured: prom-client's registry and its default metrics (an
  // event-loop monitor and a GC observer) cost memory and work even when nothing scrapes them.
  const metrics = initial.telemetry.metrics ? await import('./telemetry/metrics.js') : undefined;
  const logger = createLogger({ level: initial.server.logLevel, stream: options.logStream });

  const late: { resync?: () => void } = {}; // set below, once what catches up is built
  const shared = await openSharedState(initial, clock, logger, () => late.resync?.());
  // The content filter may call the router's own moderation deployments (built below).
  const {
    ephemeralAdminKey,
    keys,
    authenticator,
    budgets,
    alerter,
    deploymentBudgets,
    policies,
    queue,
    pdfText,
  } = await createGovernance({
    initial,
    holder,
    state: shared.state,
    clock,
    logger,
    metrics,
    moderateWith: (name, text, signal, onCall) => moderations.classify(name, text, signal, onCall),
  });

  const registry = createProviderRegistry({
    clock,
    http: createHttpClient({ connections: initial.server.upstreamConnectionsPerOrigin }),
  });
  const replica = newId('replica');
  const { breakers, stopSharingCoolDowns } = await createBreakers({
    holder,
    clock,
    state: shared.state,
    replica,
    logger,
    metrics,
    alerter,
  });
  const stats = new LiveStats();
  // Optional parts load only when configured (OpenTelemetry's SDK and exporter are ≈7 MB resident).
  const tracing = initial.telemetry.otlpEndpoint
    ? (await import('./telemetry/tracing.js')).createTraceRecorder({
        endpoint: initial.telemetry.otlpEndpoint,
      })
    : undefined;
  const requestLog = await openRequestLog(initial, holder, logger);
  // A budget met for the first time (after a restart, or added by reload or the admin API)
  // starts from the spend the request log has for its period, not from $0.
  const history = requestLog ? spendHistory(requestLog.store) : undefined;
  budgets.useHistory(history);
  deploymentBudgets.useHistory(history);
  // Deployment budgets are judged from this replica's view: seed and read them before serving.
  await deploymentBudgets.refresh();
  const sinks: RequestRecorder[] = [
    stats,
    ...(requestLog ? [requestLog] : []),
    ...(metrics ? [metrics.metricsRecorder] : []),
    ...(tracing ? [tracing] : []),
    ...(options.recorder ? [options.recorder] : []),
  ];
  const recorder: RequestRecorder = { record: (r) => sinks.forEach((s) => s.record(r)) };
  const decisions = new DecisionStore();
  // Warm-up before the port opens, so the first request does not pay for it.
  await warmUp(initial, holder, routerFor, logger);
  const answerCache = new AnswerCache(
    createAnswerCacheStore(shared.state, {
      memoryBytes: initial.cache.memoryMegabytes * 1e6,
      prefix: initial.state.prefix,
      clock,
    }),
    clock,
  );
  // With Redis, replicas learn each other's semantic-cache vectors and sessions' deployments
  // (capped streams each tails into its own copy; nothing on the request path waits for Redis).
  const streamLog = { warn: (m: string) => logger.warn(m), info: (m: string) => logger.info(m) };
  const semanticFeed = shareSemanticIndex(shared.state, replica, streamLog);
  const affinity = createSharedAffinityStore(shared.state, replica, streamLog, () => clock.now());
  const load = new DeploymentLoad(clock);
  metrics?.watchDeploymentLoad(() => load.snapshotAll());
  // Every upstream call in flight, chat's and the named gateways', so a shutdown can stop those
  // still running at its drain deadline.
  const drain = new CallDrain();
  // The gateways of named calls (moderations, embeddings, images, audio, rerank, realtime) share
  // these parts.
  const named = {
    config: holder,
    adapters: registry,
    clock,
    breakers,
    recorder,
    policies,
    load,
    drain,
  };
  const moderations = new ModerationsGateway(named);
  const gateway = new ChatGateway({
    config: holder,
    adapters: registry,
    routerFor,
    clock,
    breakers,
    decisions,
    recorder,
    affinity,
    policies,
    answerCache,
    load,
    log: logger,
    semanticFeed,
    drain,
  });
  // A receipt asked of this replica that another holds (behind a load balancer): asked for.
  const sharedReceipts = await shareReceipts(shared.state, replica, (id, tenant) =>
    gateway.receipt(id, tenant),
  );
  // ... and one no replica holds any more (a restart, past the 10,000 in memory): the request log.
  gateway.useSharedReceipts(
    requestLog
      ? withLoggedReceipts(sharedReceipts, requestLog.store, (id, tenant) =>
          gateway.receipt(id, tenant),
        )
      : sharedReceipts,
  );
  await warmFromReplicas({ initial, holder, gateway, affinity, semanticFeed });

  const configService = new ConfigService(
    holder,
    new ConfigVersionStore({ state: shared.state, clock }),
    (msg, level = 'info') => logger[level](msg),
    routerFor.issues,
  );
  await configService.start();
  late.resync = () => void Promise.all([configService.resync(), keys.refresh().catch(() => {})]);
  const stopWatching = options.configPath
    ? watchConfigFile(options.configPath, configService, logger)
    : () => {};

  const { batches, routerFiles } = createBatches({
    requestLog,
    holder,
    keys,
    clock,
    logger,
    metrics,
    forward: { adapters: registry, recorder, policies },
  });
  const { responses, conversations, background } = await createResponses({
    requestLog,
    holder,
    clock,
    logger,
    state: shared.state,
  });
  const app = await buildApp({
    config: holder,
    gateway,
    authenticator,
    batchCallers: batches.callers,
    routerFiles,
    // Stored chat completions live beside the stored responses (the request log, else memory).
    ...(requestLog ? { chatCompletions: requestLog.store } : {}),
    logger,
    readiness: () =>
      readinessReport({
        initial,
        holder,
        shared,
        answerCache,
        gateway,
        requestLog,
        breakers,
        load,
        batches,
        background,
      }),
    metricsExposition: metrics?.metricsExposition,
    countRefused: metrics?.recordRefusedRequest,
    // Into the request log, the metrics, the live stats and the traces, as any finished request.
    recordRefused: (refusal) => recorder.record(refusalRecord(refusal, clock.now())),
    plugins: routePlugins({
      gateway,
      responses,
      holder,
      background,
      conversations,
      authenticator,
      routerFiles,
      clock,
      batches,
      configService,
      routerFor,
      answerCache,
      requestLog,
      keys,
      budgets,
      metrics,
      named,
      moderations,
      stats,
      decisions,
      shared,
      breakers,
      load,
      deploymentBudgets,
    }),
  });
  metrics?.watchWebSocketConnections(() => app.websocketServer.clients.size);
  batches.start(app);
  const connections = trackUnusedConnections(app.server);
  return {
    app,
    ephemeralAdminKey,
    requestLog,
    config: holder,
    gateway,
    affinity,
    async close() {
      stopWatching();
      await batches.stop();
      await drainAndClose(app, connections, {
        queue,
        background,
        drain,
        drainMs: holder.current.config.server.shutdownDrainSeconds * 1000,
        logger,
      });
      await configService.stop();
      await pdfText.close();
      await alerter.idle();
      await requestLog?.close();
      await tracing?.shutdown();
      await keys.close();
      await stopSharingCoolDowns();
      await sharedReceipts.stop();
      await affinity.close();
      await semanticFeed?.close();
      await registry.close();
      await shared.state.close();
      logger.flush();
    },
  };
}
