// The answer cache's admin route: DELETE /admin/v1/cache drops every kept answer (on every replica
// when they share Redis), say after a model's answers went wrong or a prompt template changed.
// Admin keys only.
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { AnswerCache } from '../../gateway/answer-cache.js';
import { requireAdmin } from './admin-routes.js';

export function registerCacheRoutes(app: FastifyInstance, cache: AnswerCache): void {
  app.delete('/admin/v1/cache', async (request) => {
    requireAdmin(request);
    let deleted: number;
    try {
      deleted = await cache.clear();
    } catch (err) {
      throw new GatewayError({
        status: 503,
        type: 'server_error',
        code: 'cache_unavailable',
        message: `The answer cache could not be cleared (${(err as Error).message}); try again when its store (Redis) is back.`,
      });
    }
    return { object: 'cache.cleared', deleted };
  });
}
