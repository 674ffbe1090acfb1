// The admin API for live configuration: router deployments, pools and deployments (GET/PUT/PATCH/DELETE),
// the version log and rollback. Admin keys only; every change is validated whole before it applies.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorizeAdmin } from '../../auth/authenticate.js';
import {
  placeholderAt,
  REDACTED as REDACTED_TEXT,
  redactConfigSecrets,
  restoreRedactedSecrets,
} from '../../auth/redaction.js';
import { referencesTo } from '../../config/config-references.js';
import { ConfigError } from '../../config/load-config.js';
import type { ConfigService } from '../../config/config-service.js';
import type { Config } from '../../config/schema.js';
import { GatewayError, invalidRequest, notFound, queryNumber } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { changeWarnings, issuesRelativeTo, type Section } from './admin-change-report.js';
import { checkPreconditions, itemTag, readPreconditions } from './admin-preconditions.js';

const SINGULAR: Record<Section, string> = {
  routers: 'router',
  pools: 'pool',
  deployments: 'deployment',
};

/**
 * The admin caller's id for the version log. No key or an unknown one is 401, a key that is not
 * an admin key 403, under either `auth.mode` (`authorizeAdmin`).
 */
export function requireAdmin(request: FastifyRequest, what?: string): string {
  authorizeAdmin(request.auth ?? { admin: false }, what);
  return request.auth.keyId ?? request.auth.tenant;
}

/**
 * A ConfigError as the 400 `invalid_config` naming every issue (nothing applied); others rethrown.
 * `relabel` rewrites each issue's path for the caller (relative to the object it sent).
 */
export function invalidConfig(
  err: unknown,
  relabel: (issue: string) => string = (issue) => issue,
): never {
  if (err instanceof ConfigError) {
    const issues = err.issues.map(relabel);
    // The first issue's field, where it names one (`routingMode: …`, `prices.inputPer1M: …`), in
    // the envelope's machine-readable slot as the other 400s have it; the rest are in `issues`.
    const field = /^([^\s:]+): /.exec(issues[0] ?? '')?.[1];
    throw new GatewayError({
      status: 400,
      type: 'invalid_request_error',
      code: 'invalid_config',
      ...(field ? { param: field } : {}),
      message: `Change rejected, nothing was applied: ${issues.join('; ')}`,
      details: { issues },
    });
  }
  throw err;
}

/** 404 for a revision not in the log, listing the newest that are (to roll back to or read). */
async function revisionNotFound(service: ConfigService, revision: unknown): Promise<GatewayError> {
  const shown = 20;
  const kept = (await service.list(shown + 1)).map((v) => v.version);
  const list = kept.slice(0, shown).join(', ');
  return notFound(
    `No config revision ${String(revision)}. ${
      kept.length > shown ? `The newest ${shown} revisions are` : 'The revisions kept are'
    } ${list || 'none'}; GET /admin/v1/config/versions lists them with who changed what (its \`version\` is the revision).`,
    'revision_not_found',
    'revision',
  );
}

/** The item as the live config holds it now (after a change: as changed). */
function currentItem(
  service: ConfigService,
  section: Section,
  name: string,
): { name: string } | undefined {
  return (service.current.config[section] as { name: string }[]).find((x) => x.name === name);
}

function findIndex(config: Config, section: Section, name: string): number {
  return (config[section] as { name: string }[]).findIndex((x) => x.name === name);
}

/** Keys whose change is worth naming in the version summary. */
function describePatch(patch: Record<string, unknown>): string {
  return Object.keys(patch).join(', ');
}

/** 400 when a body's `name` is not the URL's: the URL names the item, a rename is two calls. */
function checkBodyName(body: Record<string, unknown>, section: Section, name: string): void {
  if (!('name' in body) || body.name === name) return;
  const singular = SINGULAR[section];
  throw invalidRequest(
    `The body's name ${JSON.stringify(body.name)} is not the URL's "${name}": the URL names the ${singular}. Leave name out (or send "${name}"); to rename, PUT /admin/v1/${section}/<new name> and DELETE /admin/v1/${section}/${name}.`,
    'name',
  );
}

/** 409 when the config still names the deployment or pool about to be deleted, saying where. */
function checkUnused(config: Config, section: Section, name: string): void {
  if (section === 'routers') return; // nothing in the config names a router
  const uses = referencesTo(config, name);
  if (!uses.length) return;
  const singular = SINGULAR[section];
  throw new GatewayError({
    status: 409,
    type: 'invalid_request_error',
    code: `${singular}_in_use`,
    param: null,
    message: `${singular[0]!.toUpperCase()}${singular.slice(1)} "${name}" is still named in ${uses.map((u) => u.where).join(', ')}: remove it there first (${[...new Set(uses.map((u) => u.route))].join('; ')}), then delete it. Nothing was changed.`,
    details: { used_by: uses.map((u) => u.path) },
  });
}

/**
 * `notes` says what an operator should know about a config that is valid (e.g. how the routing
 * model maps each router's subset); a change answers with those it brought or that name the item
 * it changed as `warnings` (`changeWarnings`), when there are any.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  service: ConfigService,
  notes: (config: Config) => string[] = () => [],
): void {
  /** Runs a change; its reply's warnings and, on a ConfigError, issues at the caller's paths. */
  const apply = async (
    actor: string,
    reason: string,
    mutate: (draft: Config) => void,
    item?: { section: Section; name: string },
  ) => {
    const before = notes(service.current.config);
    let draft: Config | undefined;
    const version = await service
      .change(actor, reason, (d) => {
        draft = d;
        mutate(d);
      })
      .catch((err: unknown) =>
        invalidConfig(
          err,
          issuesRelativeTo(draft, item && { ...item, singular: SINGULAR[item.section] }),
        ),
      );
    return { version, ...changeWarnings(before, notes(service.current.config), item?.name) };
  };
  for (const section of ['routers', 'pools', 'deployments'] as const) {
    const singular = SINGULAR[section];
    app.get(`/admin/v1/${section}`, (request) => {
      requireAdmin(request);
      return { object: 'list', data: redactConfigSecrets(service.current.config[section]) };
    });
    app.get<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, (request, reply) => {
      requireAdmin(request);
      const item = currentItem(service, section, request.params.name);
      if (!item)
        throw notFound(`No ${singular} "${request.params.name}".`, `${singular}_not_found`, null);
      // Its entity tag, for a change sent with If-Match (admin-preconditions.ts).
      void reply.header('etag', itemTag(item));
      return { ...redactConfigSecrets(item), config_revision: service.current.revision };
    });
    app.put<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, async (request, reply) => {
      const actor = requireAdmin(request);
      const { name } = request.params;
      if (!isObject(request.body))
        throw invalidRequest(`The body must be the whole ${singular} as a JSON object.`);
      checkBodyName(request.body, section, name);
      const preconditions = readPreconditions(request.headers);
      // An item read here (its secrets redacted) and sent back whole keeps its secrets.
      const body = keptSecrets({ ...request.body, name }, currentItem(service, section, name));
      let created = false;
      const { version, warnings } = await apply(
        actor,
        `PUT ${singular} ${name}`,
        (draft) => {
          const list = draft[section] as unknown[];
          const i = findIndex(draft, section, name);
          checkPreconditions(preconditions, list[i], `${singular} "${name}"`, request.url);
          if (i >= 0) list[i] = body;
          else {
            list.push(body);
            created = true;
          }
        },
        { section, name },
      );
      void reply.header('etag', itemTag(currentItem(service, section, name)));
      return reply.code(created ? 201 : 200).send({
        ...findItem(service, section, name),
        config_revision: version.version,
        ...(warnings ? { warnings } : {}),
      });
    });
    app.patch<{ Params: { name: string } }>(
      `/admin/v1/${section}/:name`,
      async (request, reply) => {
        const actor = requireAdmin(request);
        const { name } = request.params;
        if (!isObject(request.body))
          throw invalidRequest('The body must be a JSON object of the fields to change.');
        checkBodyName(request.body, section, name);
        const preconditions = readPreconditions(request.headers);
        const at = findIndex(service.current.config, section, name);
        if (at < 0) throw notFound(`No ${singular} "${name}".`, `${singular}_not_found`, null);
        const patch = keptSecrets(
          request.body,
          (service.current.config[section] as unknown[])[at],
        ) as Record<string, unknown>;
        const { version, warnings } = await apply(
          actor,
          `PATCH ${singular} ${name}: ${describePatch(patch)}`,
          (draft) => {
            const list = draft[section] as Record<string, unknown>[];
            const i = findIndex(draft, section, name);
            checkPreconditions(preconditions, list[i], `${singular} "${name}"`, request.url);
            // Deleted meanwhile through another replica: as a PATCH of no item.
            if (i < 0) throw notFound(`No ${singular} "${name}".`, `${singular}_not_found`, null);
            list[i] = mergePatch(list[i] as Record<string, unknown>, patch);
          },
          { section, name },
        );
        void reply.header('etag', itemTag(currentItem(service, section, name)));
        return {
          ...findItem(service, section, name),
          config_revision: version.version,
          ...(warnings ? { warnings } : {}),
        };
      },
    );
    app.delete<{ Params: { name: string } }>(`/admin/v1/${section}/:name`, async (request) => {
      const actor = requireAdmin(request);
      const { name } = request.params;
      if (findIndex(service.current.config, section, name) < 0)
        throw notFound(`No ${singular} "${name}".`, `${singular}_not_found`, null);
      checkUnused(service.current.config, section, name);
      const preconditions = readPreconditions(request.headers);
      const { version, warnings } = await apply(actor, `DELETE ${singular} ${name}`, (draft) => {
        const i = findIndex(draft, section, name);
        checkPreconditions(
          preconditions,
          (draft[section] as unknown[])[i],
          `${singular} "${name}"`,
          request.url,
        );
        if (i >= 0) (draft[section] as unknown[]).splice(i, 1);
      });
      return { deleted: name, config_revision: version.version, ...(warnings ? { warnings } : {}) };
    });
  }

  app.get<{ Querystring: { limit?: string } }>('/admin/v1/config/versions', async (request) => {
    requireAdmin(request);
    const limit = Math.floor(queryNumber(request.query.limit, 'limit', 50, 1, 1_000));
    return { object: 'list', data: redactConfigSecrets(await service.list(limit)) };
  });
  app.get<{ Params: { revision: string } }>(
    '/admin/v1/config/versions/:revision',
    async (request) => {
      requireAdmin(request);
      const v = await service.get(Number(request.params.revision));
      if (!v) throw await revisionNotFound(service, request.params.revision);
      return redactConfigSecrets(v);
    },
  );
  app.post('/admin/v1/config/rollback', async (request) => {
    const actor = requireAdmin(request);
    const revision = isObject(request.body) ? request.body.revision : undefined;
    if (typeof revision !== 'number')
      throw invalidRequest('Send {"revision": <number>} to roll back to.', 'revision');
    if (!(await service.get(revision))) throw await revisionNotFound(service, revision);
    const before = notes(service.current.config);
    const version = await service
      .rollback(actor, revision)
      .catch((err: unknown) => invalidConfig(err));
    return {
      config_revision: version.version,
      reason: version.reason,
      changes: redactConfigSecrets(version.changes),
      ...changeWarnings(before, notes(service.current.config)),
    };
  });
}

/** The item as the admin API shows it now: its secrets redacted. */
function findItem(service: ConfigService, section: Section, name: string): Record<string, unknown> {
  return redactConfigSecrets(
    (currentItem(service, section, name) ?? {}) as Record<string, unknown>,
  );
}

/**
 * A PUT or PATCH body with each secret sent back as read (`[redacted]`) put back to its live value;
 * a placeholder left with no live value to stand for is a 400 naming where, not stored and sent
 * upstream as the literal text (an item cloned by GET then PUT under another name, a new header).
 * The `config_revision` a GET answers with is the reply's, not the item's: sent back, it is dropped.
 */
export function keptSecrets(sent: unknown, current: unknown): unknown {
  if (isObject(sent) && 'config_revision' in sent) {
    const { config_revision: _revision, ...item } = sent;
    sent = item;
  }
  const body = restoreRedactedSecrets(sent, current);
  const at = placeholderAt(body);
  if (at)
    throw invalidRequest(
      `${at} holds "${REDACTED_TEXT}", the placeholder the admin API shows for a secret, where there is no secret to keep (a new item or header, or a changed URL). Send the real value, or \${env:VAR} in the config file.`,
      at,
      'invalid_value',
    );
  return body;
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
