// The dashboard at `/dashboard`: a static page (no build step; Chart.js from node_modules) and its
// JSON under `/dashboard/api/*`, which needs an admin key. Router edits go through the admin API.
// The overview is this replica's live records (LiveStats), with `live` saying from when they hold
// every request, so the page can say when a window reaches back past a restart or the ring's size.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../config/runtime-config.js';
import { authorizeAdmin } from '../auth/authenticate.js';
import { queryNumber } from '../core/errors.js';
import { roundMsToMicros, roundUsd } from '../core/round-figures.js';
import type { DecisionStore } from '../routing/receipt.js';
import { roundSummary } from '../store/round-summary.js';
import type { LiveOverview, LiveStats } from './live-stats.js';
import { overviewWindow } from './overview-window.js';

export interface DashboardDeps {
  config: ConfigHolder;
  stats: LiveStats;
  decisions: DecisionStore;
  /** Extra status shown on the page (request log, shared state). */
  status?: () => Record<string, unknown>;
  /** Each deployment's health and load as this replica sees it (circuit, cool-down, latency). */
  health?: (deployment: string) => DeploymentHealth;
}

/** A deployment's row in the dashboard's deployments table. */
export interface DeploymentHealth {
  circuit: string;
  /** Seconds left of a cool-down an upstream 429 asked for (absent: none). */
  coolingDownSeconds?: number;
  inFlight: number;
  firstTokenMs?: number;
  answerMs?: number;
  /** The larger of its day's and month's budget fractions used (absent: no budget). */
  budgetUsed?: number;
}

/** Assets live in src/dashboard/assets; from dist/ the same folder is three levels up. */
function assetsDir(): string {
  const candidates = [
    new URL('./assets/', import.meta.url),
    new URL('../../../src/dashboard/assets/', import.meta.url),
  ];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  throw new Error('dashboard assets not found (src/dashboard/assets)');
}

/** 401 without a valid key, 403 for a key that is not an admin key (as the admin API). */
function requireAdmin(request: FastifyRequest): void {
  authorizeAdmin(request.auth ?? { admin: false }, 'The dashboard API');
}

/** The content types of the page's files, by extension: a file of any other kind is not served. */
const ASSET_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The dashboard's static files: name → where it is read from and its content type. Every page file
 * in the assets folder (the page's scripts are modules, one concept each, which import each other
 * by name), so a new one is served as the others are; read once, when the routes are mounted.
 */
function assetFiles(): Record<string, { path: string; type: string }> {
  const dir = assetsDir();
  const require = createRequire(import.meta.url);
  const files: Record<string, { path: string; type: string }> = {};
  for (const name of readdirSync(dir).sort()) {
    const type = ASSET_TYPES[extname(name)];
    if (type) files[name] = { path: join(dir, name), type };
  }
  // chart.js's exports map hides dist/; its main entry sits beside the UMD build.
  files['chart.umd.min.js'] = {
    path: join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    type: 'text/javascript; charset=utf-8',
  };
  return files;
}

/**
 * Sent with every file of the page: it is an admin console (it takes an admin key, saves routers,
 * retries deliveries), so no other origin may frame it, its scripts and styles come only from
 * here (Chart.js included: served from node_modules), and nothing it sends is sniffed as another
 * type. The icon is a `data:` URL.
 */
export const DASHBOARD_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
} as const;

/** The overview as the dashboard's JSON shows it, without floating-point noise. */
function roundOverview(o: LiveOverview): LiveOverview {
  return {
    ...roundSummary(o),
    series: o.series.map((b) => ({
      ...b,
      costUsd: roundUsd(b.costUsd),
      baselineCostUsd: roundUsd(b.baselineCostUsd),
    })),
    // To the microsecond, as x-router-overhead-ms.
    ...(o.overhead
      ? {
          overhead: {
            requests: o.overhead.requests,
            p50Ms: roundMsToMicros(o.overhead.p50Ms),
            p99Ms: roundMsToMicros(o.overhead.p99Ms),
          },
        }
      : {}),
  };
}

export function registerDashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const files = assetFiles();
  // Read on first use and kept: most routers never serve the page (Chart.js alone is 200 KB).
  const bodies = new Map<string, Promise<string>>();
  const send = (name: string, reply: FastifyReply, cacheControl?: string) => {
    const f = Object.hasOwn(files, name) ? files[name] : undefined;
    // Not a file of the page: the router's 404 for an unknown path, in the OpenAI envelope.
    if (!f) return reply.callNotFound();
    let body = bodies.get(name);
    if (!body) {
      body = readFile(f.path, 'utf8');
      bodies.set(name, body);
      body.catch(() => bodies.delete(name)); // a failed read is tried again next time
    }
    return body.then((b) => {
      if (cacheControl) reply.header('cache-control', cacheControl);
      return reply.headers(DASHBOARD_HEADERS).type(f.type).send(b);
    });
  };
  app.get('/dashboard', (_request, reply) => send('index.html', reply));
  // A typed or bookmarked address with a slash is the page too.
  app.get('/dashboard/', (_request, reply) => reply.redirect('/dashboard', 301));
  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', (request, reply) =>
    send(request.params.file, reply, 'no-cache'),
  );
  // A parameter given twice comes as an array (a 400 saying so).
  app.get<{ Querystring: { since?: string | string[]; bucket?: string | string[] } }>(
    '/dashboard/api/overview',
    (request) => {
      requireAdmin(request);
      const now = Date.now();
      const { windowMs, bucketMs, warnings } = overviewWindow(request.query, now);
      const snap = deps.config.current;
      return {
        now,
        overview: roundOverview(deps.stats.overview(now - windowMs, bucketMs)),
        window: { sinceMs: windowMs, bucketMs },
        // Whether the live records hold all of the window (after a restart or 20,000 requests, not).
        live: deps.stats.coverage(),
        ...(warnings ? { warnings } : {}),
        routers: [...snap.routers.values()].map((r) => ({
          name: r.name,
          routingMode: r.routingMode,
          modelSubset: r.modelSubset,
          version: r.version,
          deploymentType: r.deploymentType,
          dataZone: r.dataZone ?? null,
        })),
        // The deployments a router subset may name: chat models (embedding models are not routed).
        deployments: [...snap.deployments.values()]
          .filter((d) => d.kind === 'chat')
          .map((d) => ({
            name: d.name,
            model: d.model,
            dataZone: d.dataZone,
            region: d.region,
          })),
        // Every deployment with its health and the pools it serves in, as this replica sees it.
        health: [...snap.deployments.values()].map((d) => ({
          name: d.name,
          model: d.model,
          kind: d.kind,
          region: d.region,
          pools: [...snap.pools.values()]
            .filter((p) => p.deployments.includes(d.name))
            .map((p) => p.name),
          ...(deps.health?.(d.name) ?? {}),
        })),
        configRevision: snap.revision,
        cacheEnabled: snap.config.cache.enabled,
        status: deps.status?.() ?? {},
      };
    },
  );
  app.get<{ Querystring: { limit?: string } }>('/dashboard/api/decisions', (request) => {
    requireAdmin(request);
    const limit = Math.floor(queryNumber(request.query.limit, 'limit', 20, 1, 200));
    return { data: deps.decisions.recent(limit) };
  });
}
