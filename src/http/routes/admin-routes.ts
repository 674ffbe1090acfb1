// The admin API for live configuration: router deployments, pools and deployments (GET/PUT/PATCH/DELETE),
// the version log and rollback. Admin keys only; every change is validated whole before it applies.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError } from '../../config/load-config.js';
import type { ConfigService } from '../../config/config-service.js';
import type { Config } from '../../config/schema.js';
import {
  GatewayError,
  forbidden,
  invalidRequest,
  notFound,
  queryNumber,
} from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';

type Section = 'routers' | 'pools' | 'deployments';

const SINGULAR: Record<Section, string> = {
  routers: 'router',
  pools: 'pool',
  deployments: 'deployment',
};

/** The admin caller's id for the version log; 403 for any other caller. */
export function requireAdmin(request: FastifyRequest): string {
  if (!request.auth?.admin) throw forbidden('This endpoint needs an admin API key.');
  return request.auth.keyId ?? request.auth.tenant;
}

/** A ConfigError as the 400 `invalid_config` naming every issue (nothing applied); others rethrown. */
export function invalidConfig(err: unknown): never {
  if (err instanceof ConfigError) {
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_config',
      message: `Change rejected, nothing was applied: ${err.issues.join('; ')}`,
      details: { issues: err.issues },
    });
  }
  throw err;
}

function findIndex(config: Config, section: Section, name: string): number {
  return (config[section] as { name: string }[]).findIndex((x) => x.name === name);
}

/** Keys whose change is worth naming in the version summary. */
function describePatch(patch: Record<string, unknown>): string {
  return Object.keys(patch).join(', ');
}

/**
 * `notes` says what an operator should know about a config that is valid (e.g. how the routing
 * model maps each router's subset); changes answer with them as `warnings` when there are any.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  service: ConfigService,
  notes: (config: Config) => string[] = () => [],
): void {
  const warnings = (): { warnings?: string[] } => {
    const list = notes(service.current.config);
    return list.length ? { warnings: list } : {};
  };
  for (const section of ['routers', 'pools', 'deployments'] as const) {
    const singular = SINGULAR[section];
    app.get(`/admin/v1/${section}`, (request) => {
      requireAdmin(request);
      return { object: 'list', data: service.current.config[section] };
    });
    app.get<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, (request) => {
      requireAdmin(request);
      const item = (service.current.config[section] as { name: string }[]).find(
        (x) => x.name === request.params.name,
      );
      if (!item)
        throw notFound(`No ${singular} "${request.params.name}".`, `${singular}_not_found`, null);
      return { ...item, config_revision: service.current.revision };
    });
    app.put<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, async (request, reply) => {
      const actor = requireAdmin(request);
      const { name } = request.params;
      if (!isObject(request.body))
        throw invalidRequest(`The body must be the whole ${singular} as a JSON object.`);
      const body = { ...request.body, name };
      let created = false;
      const version = await service
        .change(actor, `PUT ${singular} ${name}`, (draft) => {
          const list = draft[section] as unknown[];
          const i = findIndex(draft, section, name);
          if (i >= 0) list[i] = body;
          else {
            list.push(body);
            created = true;
          }
        })
        .catch(invalidConfig);
      return reply.code(created ? 201 : 200).send({
        ...findItem(service, section, name),
        config_revision: version.version,
        ...warnings(),
      });
    });
    app.patch<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, async (request) => {
      const actor = requireAdmin(request);
      const { name } = request.params;
      if (!isObject(request.body))
        throw invalidRequest('The body must be a JSON object of the fields to change.');
      if ('name' in request.body && request.body.name !== name)
        throw invalidRequest(
          'Renaming is not supported; PUT a new one and DELETE the old one.',
          'name',
        );
      const patch = request.body;
      if (findIndex(service.current.config, section, name) < 0)
        throw notFound(`No ${singular} "${name}".`, `${singular}_not_found`, null);
      const version = await service
        .change(actor, `PATCH ${singular} ${name}: ${describePatch(patch)}`, (draft) => {
          const list = draft[section] as Record<string, unknown>[];
          const i = findIndex(draft, section, name);
          list[i] = mergePatch(list[i] as Record<string, unknown>, patch);
        })
        .catch(invalidConfig);
      return {
        ...findItem(service, section, name),
        config_revision: version.version,
        ...warnings(),
      };
    });
    app.delete<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, async (request) => {
      const actor = requireAdmin(request);
      const { name } = request.params;
      if (findIndex(service.current.config, section, name) < 0)
        throw notFound(`No ${singular} "${name}".`, `${singular}_not_found`, null);
      const version = await service
        .change(actor, `DELETE ${singular} ${name}`, (draft) => {
          (draft[section] as unknown[]).splice(findIndex(draft, section, name), 1);
        })
        .catch(invalidConfig);
      return { deleted: name, config_revision: version.version, ...warnings() };
    });
  }

  app.get<{ Querystring: { limit?: string } }>('/admin/v1/config/versions', async (request) => {
    requireAdmin(request);
    const limit = Math.floor(queryNumber(request.query.limit, 'limit', 50, 1, 1_000));
    return { object: 'list', data: await service.list(limit) };
  });
  app.get<{ Params: { revision: string } }>(
    '/admin/v1/config/versions/:revision',
    async (request) => {
      requireAdmin(request);
      const v = await service.get(Number(request.params.revision));
      if (!v)
        throw notFound(
          `No config revision ${request.params.revision}.`,
          'revision_not_found',
          null,
        );
      return v;
    },
  );
  app.post('/admin/v1/config/rollback', async (request) => {
    const actor = requireAdmin(request);
    const revision = isObject(request.body) ? request.body.revision : undefined;
    if (typeof revision !== 'number')
      throw invalidRequest('Send {"revision": <number>} to roll back to.', 'revision');
    const version = await service.rollback(actor, revision).catch(invalidConfig);
    return {
      config_revision: version.version,
      reason: version.reason,
      changes: version.changes,
      ...warnings(),
    };
  });
}

function findItem(service: ConfigService, section: Section, name: string): Record<string, unknown> {
  return ((service.current.config[section] as { name: string }[]).find((x) => x.name === name) ??
    {}) as Record<string, unknown>;
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, everything else replaces. */
export function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k]))
      out[k] = mergePatch(out[k] as Record<string, unknown>, v);
    else out[k] = v;
  }
  return out;
}
