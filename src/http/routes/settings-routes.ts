// The admin API for the config's live settings that are one object each rather than a list of
// named items: budgets, rate limits, the answer cache, the content filter and the circuit breakers'
// global settings (a deployment's own are changed with the deployment). GET reads them, PUT
// replaces one whole, PATCH merges into it (RFC 7386); each change is validated as a whole config,
// versioned and applied on every replica like a router change, and takes effect with the next
// request (the breakers: from their next decision, an open circuit keeping the period it opened
// with, as on a file reload; gateway/circuit-breaker.ts). Sections read only at startup (server,
// state, request log, auth mode, telemetry) are not here: changing them means a restart, so they
// are changed in the config file.
import type { FastifyInstance } from 'fastify';
import { redactConfigSecrets } from '../../auth/redaction.js';
import type { ConfigService } from '../../config/config-service.js';
import type { Config } from '../../config/schema.js';
import { invalidRequest, notFound } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { invalidConfig, keptSecrets, mergePatch, requireAdmin } from './admin-routes.js';
import { checkPreconditions, itemTag, readPreconditions } from './admin-preconditions.js';
import { waitingForRestart } from '../../config/startup-only.js';
import { diffConfig } from '../../store/config-versions.js';

export const LIVE_SETTINGS = [
  'budgets',
  'rateLimits',
  'cache',
  'contentFilter',
  'circuitBreaker',
] as const;
type LiveSetting = (typeof LIVE_SETTINGS)[number];

function sectionOf(name: string): LiveSetting {
  if ((LIVE_SETTINGS as readonly string[]).includes(name)) return name as LiveSetting;
  throw notFound(
    `No live setting "${name}": these can be changed here: ${LIVE_SETTINGS.join(', ')}. Routers, pools and deployments have their own routes; the other sections are read at startup and changed in the config file.`,
    'setting_not_found',
    null,
  );
}

export function registerSettingsRoutes(app: FastifyInstance, service: ConfigService): void {
  const read = (section: LiveSetting) => service.current.config[section];
  /** As shown: URL passwords (`contentFilter.moderationUrl`) redacted. */
  const shown = (section: LiveSetting) => redactConfigSecrets(read(section));
  /** What a change left for a restart, as warnings (the rest applied at once). */
  const restartWarnings = (section: LiveSetting, before: Config[LiveSetting]) => {
    // The fields the schema says are read at start-up (cache.memoryMegabytes…).
    const waiting = waitingForRestart(diffConfig(before, read(section), section));
    return waiting.length
      ? {
          warnings: waiting.map(
            (f) => `${f} is read at startup: the new value applies after a restart.`,
          ),
        }
      : {};
  };

  app.get('/admin/v1/settings', (request) => {
    requireAdmin(request);
    return {
      object: 'settings',
      config_revision: service.current.revision,
      ...Object.fromEntries(LIVE_SETTINGS.map((s) => [s, shown(s)])),
    };
  });
  app.get<{ Params: { section: string } }>('/admin/v1/settings/:section', (request, reply) => {
    requireAdmin(request);
    const section = sectionOf(request.params.section);
    // Its entity tag, for a change sent with If-Match (admin-preconditions.ts).
    void reply.header('etag', itemTag(read(section)));
    return { ...shown(section), config_revision: service.current.revision };
  });
  for (const method of ['PUT', 'PATCH'] as const)
    app.route<{ Params: { section: string } }>({
      method,
      url: '/admin/v1/settings/:section',
      handler: async (request, reply) => {
        const actor = requireAdmin(request);
        const section = sectionOf(request.params.section);
        const preconditions = readPreconditions(request.headers);
        if (preconditions.ifNoneMatchAny)
          throw invalidRequest(
            'If-None-Match: * asks to create only, and a settings section always exists: send If-Match with its ETag to change it only as you read it.',
            'if-none-match',
            'invalid_precondition',
          );
        if (!isObject(request.body))
          throw invalidRequest(
            method === 'PUT'
              ? `The body must be the whole ${section} section as a JSON object.`
              : `The body must be a JSON object of the ${section} fields to change.`,
          );
        // A section read here (its secrets redacted) and sent back keeps its secrets.
        const body = keptSecrets(request.body, read(section)) as Record<string, unknown>;
        const before = read(section);
        const version = await service
          .change(
            actor,
            `${method} settings ${section}${Object.keys(body).length ? `: ${Object.keys(body).join(', ')}` : ''}`,
            (draft) => {
              const current = draft[section] as unknown as Record<string, unknown>;
              checkPreconditions(preconditions, current, `settings ${section}`, request.url);
              (draft as unknown as Record<string, unknown>)[section] =
                method === 'PUT' ? body : mergePatch(current, body);
            },
          )
          .catch(invalidConfig);
        void reply.header('etag', itemTag(read(section)));
        return {
          ...shown(section),
          config_revision: version.version,
          ...restartWarnings(section, before),
        };
      },
    });
}
