// Liveness (`/healthz`: the process answers) and readiness (`/readyz`: config loaded and the
// shared parts' status, with detail an operator can act on).
import type { FastifyInstance } from 'fastify';

export interface ReadinessReport {
  ready: boolean;
  detail: Record<string, unknown>;
}

export function registerHealthRoutes(
  app: FastifyInstance,
  readiness: () => Promise<ReadinessReport> | ReadinessReport,
): void {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await readiness();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not_ready', ...report.detail });
  });
}
