// The governance half of the composition root (runtime.ts): who may call (keys, authentication),
// what they may spend and how fast (budgets, rate limits, the admission queue), what may be said
// (the content filter) and who is told when a limit trips (alerts). Built once per process; the
// parts that depend on config read it per use or are rebuilt when it changes.
import type { Logger } from 'pino';
import { generateApiKey } from './auth/api-key.js';
import { authenticate } from './auth/authenticate.js';
import { KeyStore } from './auth/key-store.js';
import type { ConfigHolder } from './config/runtime-config.js';
import { DEFAULT_ADMIN_KEY_ENV, type Config } from './config/schema.js';
import type { Clock } from './core/clock.js';
import { PdfTextPool } from './files/pdf-text.js';
import type { Authenticator } from './http/auth-hook.js';
import { AdmissionQueue } from './policy/admission-queue.js';
import { BudgetTracker } from './policy/budget.js';
import {
  createContentFilter,
  type ContentFilter,
  type ContentFilterOptions,
} from './policy/content-filter.js';
import { DeploymentBudgets } from './policy/deployment-budget.js';
import { budgetGeneration } from './policy/budget-seeding.js';
import { createGovernancePolicies } from './policy/governance-policies.js';
import { RateLimiter } from './policy/rate-limit.js';
import type { SharedState } from './store/shared-state.js';
import { Alerter } from './telemetry/alerts.js';
import type * as Metrics from './telemetry/metrics.js';

export interface GovernanceDeps {
  initial: Config;
  holder: ConfigHolder;
  state: SharedState;
  clock: Clock;
  logger: Logger;
  /** The Prometheus metrics, loaded when `telemetry.metrics` is on. */
  metrics: typeof Metrics | undefined;
  /** The content filter's call to one of the router's own moderation deployments. */
  moderateWith: NonNullable<ContentFilterOptions['moderateWith']>;
}

export async function createGovernance({
  initial,
  holder,
  state,
  clock,
  logger,
  metrics,
  moderateWith,
}: GovernanceDeps) {
  const cfg = () => holder.current.config;
  // With `auth.adminKeyEnv` set but the variable missing, a one-off admin key is made for this
  // process (printed once at start) so the dashboard and admin API work in a demo.
  // Without `auth.adminKeyEnv`, MODEL_ROUTER_ADMIN_KEY, which the docs and the CLI's --admin-key
  // read, is the admin key when it is set (no one-off key is made for its absence).
  const envAdminKey = process.env[initial.auth.adminKeyEnv ?? DEFAULT_ADMIN_KEY_ENV];
  const ephemeralAdminKey = initial.auth.adminKeyEnv && !envAdminKey ? generateApiKey() : undefined;
  const keys = new KeyStore({
    state,
    clock,
    configKeys: () => cfg().auth.keys,
    adminKey: envAdminKey ?? ephemeralAdminKey,
    warn: (message) => logger.warn(message),
  });
  await keys.start();
  const authenticator: Authenticator = {
    authenticate: (headers, clientIp) =>
      authenticate(headers, { mode: () => cfg().auth.mode, keys, clock }, clientIp),
  };
  // Attached PDFs are read in worker threads, kept across config reloads; close() ends them.
  const pdfText = new PdfTextPool({ logger, metrics: metrics?.pdfTextMetrics });
  let contentFilter: ContentFilter | undefined = createContentFilter(initial.contentFilter, {
    moderateWith,
    pdfText,
  });
  holder.onChange((next, previous) => {
    if (next.config.contentFilter !== previous.config.contentFilter)
      contentFilter = createContentFilter(next.config.contentFilter, { moderateWith, pdfText });
    if (next.config.auth !== previous.config.auth) keys.rebuild();
  });
  // A budget added, removed or changed seeds its counters again from the request log.
  const generation = budgetGeneration(holder);
  const budgets = new BudgetTracker({
    state,
    clock,
    generation,
    budgets: () => cfg().budgets,
    onHistoryError: (err) =>
      logger.warn(
        { err },
        "a budget's spend so far could not be read from the request log; it counts from now",
      ),
  });
  const alerter = new Alerter({
    config: () => cfg().alerts,
    state,
    clock,
    onResult: (alert, url, ok, error) => {
      metrics?.countAlert(alert.event, ok);
      if (!ok)
        logger.warn(
          { event: alert.event, webhook: new URL(url).host, error },
          'alert webhook failed',
        );
    },
  });
  const deploymentBudgets = new DeploymentBudgets({
    state,
    clock,
    generation,
    deployments: () => holder.current.deployments.values(),
    onError: (err) => logger.warn({ err }, 'reading deployment budgets failed'),
    onHistoryError: (err) =>
      logger.warn(
        { err },
        "a deployment budget's spend so far could not be read from the request log; it counts from now",
      ),
  });
  // The rate-limit queue's waiters: the shutdown drain answers them at once (runtime.ts).
  const queue = new AdmissionQueue({ clock, metrics: metrics?.queueMetrics });
  const policies = createGovernancePolicies({
    deploymentBudgets,
    config: holder,
    limiter: new RateLimiter({ state, clock }),
    budgets,
    keys,
    alerts: alerter,
    contentFilter: () => contentFilter,
    onError: (err, what) => logger.warn({ err }, `governance ${what} failed`),
    queue,
  });
  return {
    ephemeralAdminKey,
    keys,
    authenticator,
    budgets,
    alerter,
    deploymentBudgets,
    policies,
    queue,
    pdfText,
  };
}
