// The composition root: builds every dependency from a config and wires them into the app
// (STYLE.md principle 5). main.ts and the e2e tests both start the router through here.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigService, createMemoryVersionLog } from './config/config-service.js';
import { ConfigHolder, compileConfig } from './config/runtime-config.js';
import { watchConfigFile } from './config/watch-config-file.js';
import type { Config, RouterConfig } from './config/schema.js';
import { systemClock, type Clock } from './core/clock.js';
import { ChatGateway } from './gateway/chat-gateway.js';
import { CircuitBreakers } from './gateway/circuit-breaker.js';
import { createMemoryAffinityStore } from './gateway/session-affinity.js';
import { openAuthenticator, type Authenticator } from './http/auth-hook.js';
import { registerAdminRoutes } from './http/routes/admin-routes.js';
import { createProviderRegistry } from './providers/registry.js';
import { createCheapestCapableRouter } from './routing/cheapest-capable-router.js';
import { DecisionStore } from './routing/receipt.js';
import type { Router } from './routing/router-types.js';
import type { RequestRecorder } from './store/request-record.js';

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
  config: ConfigHolder;
  gateway: ChatGateway;
  /** Stop accepting, drain in-flight requests, flush the request log, close pools. */
  close(): Promise<void>;
}

/** Headers whose values never reach a log line. */
export const REDACTED_HEADERS = ['req.headers.authorization', 'req.headers["api-key"]', 'req.headers["x-api-key"]'];

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const holder = new ConfigHolder(compileConfig(config));
  const logger = pino(
    { level: config.server.logLevel, redact: REDACTED_HEADERS },
    options.logStream ?? pino.destination({ sync: false, minLength: 4096 }),
  );
  const registry = createProviderRegistry({ clock });
  const breakers = new CircuitBreakers(clock);
  const decisions = new DecisionStore();
  const recorder: RequestRecorder = options.recorder ?? { record: () => {} };
  const placeholder = createCheapestCapableRouter();
  const routerFor = (_router: RouterConfig): Router => placeholder;
  const gateway = new ChatGateway({
    config: holder,
    adapters: registry,
    routerFor,
    clock,
    breakers,
    decisions,
    recorder,
    affinity: createMemoryAffinityStore(),
  });
  const authenticator: Authenticator = openAuthenticator;
  const configService = new ConfigService(holder, createMemoryVersionLog(), {
    replicaId: `${process.pid}`,
    log: (msg) => logger.info(msg),
  });
  await configService.start();
  const stopWatching = options.configPath ? watchConfigFile(options.configPath, configService, logger) : () => {};
  const app = await buildApp({
    config: holder,
    gateway,
    authenticator,
    logger,
    readiness: () => ({ ready: true, detail: { config_revision: holder.current.revision, circuits: breakers.snapshot() } }),
    plugins: [(a) => registerAdminRoutes(a, configService)],
  });
  return {
    app,
    config: holder,
    gateway,
    async close() {
      stopWatching();
      await app.close();
      await configService.stop();
      await registry.close();
      logger.flush();
    },
  };
}
