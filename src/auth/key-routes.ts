// Admin API for keys: POST /admin/v1/keys (issue; the key is in the reply once), GET /admin/v1/keys
// (list, no hashes), DELETE /admin/v1/keys/:id (revoke), POST /admin/v1/keys/:id/rotate (a new
// secret, in the reply once; the old one works for the grace period). Admin keys only. Expects the auth hook to
// have set `request.auth`, and the app's error handler to turn GatewayError into the envelope.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ROUTING_MODES } from '../config/schema.js';
import { allowedIpsSchema } from '../config/server-schema.js';
import { keyNameSchema, tenantSchema } from '../config/key-text-schema.js';
import { formatZodIssues } from '../config/format-zod-issues.js';
import { zodIssueMessage } from '../config/zod-issue-message.js';
import { invalidRequest, notFound } from '../core/errors.js';
import type { AuthContext } from '../gateway/gateway-types.js';
import { scopeAllows } from '../core/scope-allows.js';
import { authorizeAdmin } from './authenticate.js';
import { DEFAULT_GRACE_SECONDS, MAX_GRACE_SECONDS, type KeyStore } from './key-store.js';

const limitSchema = z.strictObject({
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
});

/** Body of POST /admin/v1/keys. */
export const issueKeyBodySchema = z.strictObject({
  id: z.string().min(1).max(64).optional(),
  tenant: tenantSchema,
  admin: z.boolean().optional(),
  scopes: z.array(keyNameSchema).optional(),
  expiresAt: z.string().datetime().optional(),
  maxRoutingMode: z.enum(ROUTING_MODES).optional(),
  modelSubset: z.array(keyNameSchema).optional(),
  rateLimit: limitSchema.optional(),
  cache: z.boolean().optional(),
  allowedIps: allowedIpsSchema.optional(),
  budget: z
    .strictObject({
      dailyUsd: z.number().positive().optional(),
      monthlyUsd: z.number().positive().optional(),
    })
    .optional(),
});

/** Body of POST /admin/v1/keys/:id/rotate (may be empty). */
export const rotateKeyBodySchema = z.strictObject({
  graceSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(DEFAULT_GRACE_SECONDS),
});

/** The body parsed by `schema`, or a 400 naming the first bad field. */
function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {}, { error: zodIssueMessage });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // An unknown field is named with its path ("bogus: unknown key"), as config issues are.
  if (issue.code === 'unrecognized_keys') {
    const message = formatZodIssues(new z.ZodError([issue]))[0]!;
    throw invalidRequest(message, [...issue.path, issue.keys[0]].join('.'));
  }
  const path = issue.path.join('.');
  throw invalidRequest(`${path || 'body'}: ${issue.message}`, path || null);
}

/**
 * What an issued key names that nothing in the config has now: scopes (exact or `prefix*`) that
 * allow no router or deployment, subset entries that are no deployment. A key may be issued ahead
 * of a router, so these are warnings in the reply, not errors.
 */
export function keyWarnings(
  body: { scopes?: string[]; modelSubset?: string[] },
  /**
   * `routers`: router deployments and pools, the names that serve through others; `authMode`
   * the config's `auth.mode`.
   */
  names: { routers: readonly string[]; deployments: readonly string[]; authMode?: string },
): string[] {
  const all = [...names.routers, ...names.deployments];
  const warnings: string[] = [];
  // A key nobody is asked for (tour audit F5, 2026-12-06: issued keys looked enforced).
  if (names.authMode === 'none')
    warnings.push(
      'auth.mode is none: the model endpoints take requests without a key, so this key is not required and its scopes, limits and budgets bind only the requests that send it; set auth.mode: keys to require one',
    );
  for (const scope of body.scopes ?? [])
    if (!all.some((n) => scopeAllows([scope], n)))
      warnings.push(
        `scope "${scope}" allows no router, pool or deployment in the current config (a scope is a name, a name prefix ending in *, or *)`,
      );
  for (const name of body.modelSubset ?? [])
    if (!names.deployments.includes(name))
      warnings.push(`modelSubset names "${name}", which is not a deployment in the current config`);
  return warnings;
}

export function registerKeyRoutes(
  app: FastifyInstance,
  keys: KeyStore,
  /** The config's router and deployment names now, for the issue reply's warnings. */
  names?: () => { routers: readonly string[]; deployments: readonly string[]; authMode?: string },
): void {
  const admin = (request: FastifyRequest) => {
    const auth = (request as FastifyRequest & { auth?: AuthContext }).auth;
    authorizeAdmin(auth ?? { admin: false });
    return auth!;
  };

  app.post('/admin/v1/keys', async (request, reply) => {
    const auth = admin(request);
    const body = parseBody(issueKeyBodySchema, request.body);
    // A key born expired would answer every request 401: a typo in the year, most likely.
    if (body.expiresAt !== undefined && Date.parse(body.expiresAt) <= keys.now())
      throw invalidRequest(
        `expiresAt: ${body.expiresAt} has passed; give a time in the future, or leave it out for a key that does not expire.`,
        'expiresAt',
      );
    const issued = await keys.issue({ ...body, createdBy: auth.keyId ?? 'anonymous' });
    const warnings = names ? keyWarnings(body, names()) : [];
    if (!keys.durable)
      warnings.push(
        'state.kind is memory: this key lasts until the router restarts (set state.kind: redis to keep keys issued through the API, or add it to auth.keys in the config file)',
      );
    return reply.code(201).send(warnings.length ? { ...issued, warnings } : issued);
  });

  app.get('/admin/v1/keys', async (request) => {
    admin(request);
    return { object: 'list', data: keys.list() };
  });

  app.delete<{ Params: { id: string } }>('/admin/v1/keys/:id', async (request) => {
    admin(request);
    const { id } = request.params;
    if (!(await keys.revoke(id)))
      throw notFound(`No API key with id "${id}".`, 'key_not_found', 'id');
    // A leaked key revoked in memory alone comes back at the next restart: say so, and how to fix.
    if (!keys.durable && keys.isConfigKey(id)) {
      const warning = `state.kind is memory: this revocation lasts until the router restarts, when the config file's key "${id}" works again; remove it from auth.keys to revoke it for good`;
      request.log.warn({ key: id }, warning);
      return { id, revoked: true, warnings: [warning] };
    }
    return { id, revoked: true };
  });

  app.post<{ Params: { id: string } }>('/admin/v1/keys/:id/rotate', async (request) => {
    admin(request);
    const { graceSeconds } = parseBody(rotateKeyBodySchema, request.body);
    const rotated = await keys.rotate(request.params.id, graceSeconds);
    if (!rotated)
      throw notFound(`No API key with id "${request.params.id}".`, 'key_not_found', 'id');
    return rotated;
  });
}
