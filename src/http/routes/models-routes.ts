// `GET /v1/models` (and Azure's paths, `/openai/v1/models` and `/openai/models`): router deployments (mode, subset,
// effective context window), pools (kind, strategy, members) and concrete deployments the caller's key
// may use, in OpenAI's list shape with extra fields. A deployment's capabilities and limits are
// those its kind has: a chat model's all of them, a moderation model's `vision`, other kinds none.
// An Anthropic client (it sends `anthropic-version`) gets Anthropic's shape instead: `type`,
// `display_name`, `created_at`, `max_input_tokens`, `max_tokens`, paged as Anthropic pages it
// (`limit`, `after_id`, `before_id`; the list's `has_more` / `first_id` / `last_id`). Also the
// decision receipts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConfigHolder } from '../../config/runtime-config.js';
import type { RouterConfig } from '../../config/schema.js';
import type { DeploymentConfig, DeploymentKind } from '../../config/deployment-schema.js';
import { GatewayError, invalidRequest, notFound } from '../../core/errors.js';
import { anthropicErrorBody } from '../anthropic/anthropic-error-body.js';
import type { ErrorShaper } from '../error-handler.js';
import { optionalApiVersion } from './chat-routes.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import type { AuthContext, Target } from '../../gateway/gateway-types.js';
import { authAllowsDeployment, keyMayUse } from '../../gateway/request-target.js';
import {
  answersChoices,
  effectiveContextWindow,
  readsFiles,
  returnsLogprobs,
} from '../../routing/eligibility.js';

const CREATED = 1_735_689_600; // 2025-01-01: stable, so clients can cache the list
const CREATED_AT = new Date(CREATED * 1000).toISOString();

/**
 * Kinds whose models read their input as tokens in a window: chat's is routed by, an embedding
 * input over it is a 400 (embedding-window.ts), and a moderation, rerank or realtime model's is
 * its own (its input, query and document, conversation). Image, speech and transcription models
 * take prompts, text and audio with no token window: the `contextWindow` the schema requires of
 * them means nothing, so none is listed.
 */
const TOKEN_WINDOW_KINDS: ReadonlySet<DeploymentKind> = new Set([
  'chat',
  'embeddings',
  'moderation',
  'rerank',
  'realtime',
]);

/**
 * A deployment's listed `capabilities`: a chat model's, with the effective answers where the
 * config leaves them to the provider's default; a moderation model's `vision` (images go only to
 * one with it, moderations-gateway.ts); `null` for the other kinds, whose endpoints check none.
 * The schema's defaults are chat's (`tools`, `streaming`, …): listed for every kind they told a
 * client picking models by `capabilities.tools` that a speech model takes tools (tour walk,
 * 2026-12-07).
 */
function listedCapabilities(d: DeploymentConfig) {
  if (d.kind === 'moderation') return { vision: d.capabilities.vision };
  if (d.kind !== 'chat') return null;
  return {
    ...d.capabilities,
    logprobs: returnsLogprobs(d),
    choices: answersChoices(d),
    files: readsFiles(d, 'data'),
  };
}

/** A deployment's listed limits: a window where its kind has one, output where it writes tokens. */
function listedLimits(d: DeploymentConfig) {
  return {
    context_window: TOKEN_WINDOW_KINDS.has(d.kind) ? d.contextWindow : null,
    max_output_tokens:
      d.kind === 'chat' || d.kind === 'realtime' ? (d.maxOutputTokens ?? null) : null,
  };
}

const fromAnthropic = (request: FastifyRequest) =>
  request.headers['anthropic-version'] !== undefined;
/** Errors in OpenAI's envelope, or Anthropic's (with its request id) for an Anthropic client. */
const errorShape: ErrorShaper = (e, requestId, request) =>
  request && fromAnthropic(request) ? anthropicErrorBody(e, requestId) : e.toEnvelope();
type ModelEntry = ReturnType<typeof modelEntries>[number];

/**
 * Anthropic's model object (the SDK's `ModelInfo`, every key it types: `null` where the router
 * does not know). `max_input_tokens` is the context window `context_window` states (a router's or
 * pool's smallest member's); `max_tokens` the largest `max_tokens` it serves whichever member
 * is picked: a deployment's `maxOutputTokens`, a router's or pool's smallest (a larger one leaves
 * out the members that cannot give it). Before, only id, name and date (hE sweep, 2026-12-07).
 */
function anthropicModel(entry: ModelEntry, snap: ConfigHolder['current']) {
  const members =
    'model_subset' in entry
      ? entry.model_subset
      : 'deployments' in entry
        ? entry.deployments
        : [entry.id];
  const outputs = members.flatMap((name) => snap.deployments.get(name)?.maxOutputTokens ?? []);
  return {
    type: 'model',
    id: entry.id,
    display_name: entry.id,
    created_at: CREATED_AT,
    max_input_tokens: entry.context_window || null,
    max_tokens: outputs.length === members.length && outputs.length ? Math.min(...outputs) : null,
    capabilities: null,
    lifecycle: 'active',
    deprecated_at: null,
    retires_at: null,
    line: null,
  };
}

/**
 * One page of Anthropic's model list: `limit` (1–1000, 20 by default), after `after_id` or before
 * `before_id` (as Anthropic pages it), with `has_more`, `first_id` and `last_id`.
 */
function anthropicPage(entries: ModelEntry[], snap: ConfigHolder['current'], query: unknown) {
  const ids = entries.map((m) => m.id);
  const q = (query ?? {}) as Record<string, unknown>;
  const limit = q.limit === undefined ? 20 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return invalidRequest('limit: Input should be an integer from 1 to 1000', 'limit');
  if (typeof q.after_id === 'string' && typeof q.before_id === 'string')
    return invalidRequest('Give before_id or after_id, not both.', 'before_id');
  let start = 0;
  let end = ids.length;
  // A cursor the list does not hold (a model since removed, a typo) pages to nothing, after it or
  // before it alike, rather than back to the start of the list.
  if (typeof q.after_id === 'string')
    start = ids.includes(q.after_id) ? ids.indexOf(q.after_id) + 1 : ids.length;
  if (typeof q.before_id === 'string') {
    end = Math.max(0, ids.indexOf(q.before_id));
    start = Math.max(0, end - limit);
  }
  const page = ids.slice(start, Math.min(end, start + limit));
  const hasMore = typeof q.before_id === 'string' ? start > 0 : start + page.length < end;
  return {
    data: entries.slice(start, start + page.length).map((m) => anthropicModel(m, snap)),
    has_more: hasMore,
    first_id: page[0] ?? null,
    last_id: page.at(-1) ?? null,
  };
}

/**
 * Every model the caller may name, as `GET /v1/models` lists it: router deployments, pools, then
 * deployments, those its key may use only (a key scoped to one router sees that router; naming
 * another would get a 403). `GET /v1/models/{id}` answers with the same entry, so the two never
 * disagree.
 */
function modelEntries(snap: ConfigHolder['current'], auth: AuthContext) {
  const may = (target: Target) => keyMayUse(auth, target);
  /**
   * The members of a router this caller can be served by: those its key may use, in the router's
   * data zone (a DataZoneStandard router never serves another). Its subset and context window
   * are shown from these (routing audit, 2026-12-06: a key saw members it is refused, and an EU
   * router the window of a US member it never serves).
   */
  const servable = (router: RouterConfig) =>
    router.modelSubset.filter((name) => {
      const d = snap.deployments.get(name);
      if (!d || !authAllowsDeployment(auth, { kind: 'router', router }, name)) return false;
      return router.deploymentType !== 'DataZoneStandard' || d.dataZone === router.dataZone;
    });
  const routers = [...snap.routers.values()]
    .filter((router) => may({ kind: 'router', router }))
    .map((r) => {
      const subset = servable(r);
      return {
        id: r.name,
        object: 'model',
        created: CREATED,
        owned_by: 'model-router',
        type: 'router',
        routing_mode: r.routingMode,
        model_subset: subset,
        router_version: r.version,
        context_window: effectiveContextWindow({ modelSubset: subset }, snap.deployments),
        deployment_type: r.deploymentType,
        data_zone: r.dataZone ?? null,
      };
    });
  const pools = [...snap.pools.values()]
    .filter((pool) => may({ kind: 'pool', pool }))
    .map((p) => {
      // A pool serves one kind (check-references.ts); its window is its members' where they have one.
      const kind = snap.deployments.get(p.deployments[0] ?? '')?.kind ?? 'chat';
      return {
        id: p.name,
        object: 'model',
        created: CREATED,
        owned_by: 'model-router',
        type: 'pool',
        kind,
        strategy: p.strategy,
        deployments: p.deployments,
        context_window: TOKEN_WINDOW_KINDS.has(kind)
          ? effectiveContextWindow({ modelSubset: p.deployments }, snap.deployments)
          : null,
      };
    });
  const deployments = [...snap.deployments.values()]
    .filter((deployment) => may({ kind: 'deployment', deployment }))
    .map((d) => ({
      id: d.name,
      object: 'model',
      created: CREATED,
      owned_by: d.provider,
      type: 'deployment',
      kind: d.kind,
      model: d.model,
      // The routing model's name for it where the config says (`like:`), as compare's
      // scored.jsonl names its scores.
      like: d.like ?? null,
      ...listedLimits(d),
      capabilities: listedCapabilities(d),
      region: d.region,
      data_zone: d.dataZone,
      deployment_type: d.deploymentType,
      prices_per_1m_usd: d.prices,
    }));
  return [...routers, ...pools, ...deployments];
}

/**
 * What an Anthropic client can call on `/v1/messages`: routers, and pools and deployments of chat
 * models (an embedding, speech or rerank model would be a 400 there, so its list leaves them out).
 */
function answersMessages(snap: ConfigHolder['current'], entry: ModelEntry): boolean {
  const chat = (name: string) => (snap.deployments.get(name)?.kind ?? 'chat') === 'chat';
  if (entry.type === 'deployment') return chat(entry.id);
  if (entry.type === 'pool') return (snap.pools.get(entry.id)?.deployments ?? []).some(chat);
  return true;
}

export function registerModelsRoutes(
  app: FastifyInstance,
  config: ConfigHolder,
  gateway: ChatGateway,
): void {
  const list = (request: FastifyRequest) => {
    const data = modelEntries(config.current, request.auth);
    if (fromAnthropic(request)) {
      const page = anthropicPage(
        data.filter((m) => answersMessages(config.current, m)),
        config.current,
        request.query,
      );
      if (page instanceof GatewayError) throw page;
      return page;
    }
    return { object: 'list', data };
  };
  // A wildcard, not `:id`: a deployment's name may hold a slash (`Qwen/Qwen3-8B`), which the openai
  // SDKs send encoded (`%2F`) or raw.
  const one = (request: FastifyRequest<{ Params: { '*': string } }>) => {
    const id = request.params['*'];
    const entry = modelEntries(config.current, request.auth).find((m) => m.id === id);
    // An Anthropic client's list holds only what /v1/messages serves: an entry it leaves out is
    // not found for it either (an embedding model was found, then refused by /v1/messages:
    // Anthropic audit F1, 2026-12-06).
    if (!entry || (fromAnthropic(request) && !answersMessages(config.current, entry))) {
      // OpenAI's words and code for a model it does not know (CONTRACTS.md §2.4); one the key may
      // not use is not shown either (OpenAI answers model_not_found for another project's).
      throw notFound(
        `The model '${id}' does not exist. GET /v1/models lists the router deployments, pools and deployments you can use.`,
      );
    }
    if (fromAnthropic(request)) return anthropicModel(entry, config.current);
    return entry;
  };
  // Every error, a refused key's 401 included, in the caller's API's envelope.
  const opts = { config: { errorShape } };
  // Azure's dated data plane too (`/openai/models?api-version=…`, where the AzureOpenAI client's
  // `models.list()` goes): api-version optional, a real one if given.
  for (const prefix of ['/v1', '/openai/v1', '/openai']) {
    const routeOpts = prefix === '/openai' ? { ...opts, ...optionalApiVersion } : opts;
    app.get(`${prefix}/models`, routeOpts, list);
    app.get<{ Params: { '*': string } }>(`${prefix}/models/*`, routeOpts, one);
  }
  app.get<{ Params: { id: string } }>('/v1/router/decisions/:id', async (request) => {
    // By the decision's id (`x-router-decision-id`), or by the request id of one of the caller's
    // tenant's requests (`x-request-id`; a Responses WebSocket turn's `<upgrade id>.ws<n>`); from
    // whichever replica made it, with shared state.
    const receipt = await gateway.findReceipt(request.params.id, request.auth.tenant);
    if (!receipt)
      throw notFound(
        `No routing decision "${request.params.id}": name a decision by its x-router-decision-id, or a request of yours by its x-request-id (each replica holds its most recent 10,000 decisions; the request log keeps them for its retention with requestLog.storeReceipts, on by default).`,
        'decision_not_found',
        null,
      );
    return receipt;
  });
}
