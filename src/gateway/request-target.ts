// What a request asks for and may use, before routing: its target (a router or a deployment, by
// the path's deployment or the body's `model`), whether the caller's key may use it (and a chat
// request a chat model), whether the prompt needs an exact token count, its data zone and routing
// mode (headers may narrow, never widen). The error when no deployment is left eligible is
// no-eligible-error.ts.
import type { RouterConfig, RoutingMode } from '../config/schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { quoteName } from '../core/describe-value.js';
import { GatewayError, invalidRequest, forbidden } from '../core/errors.js';
import { requestedOutputTokens } from '../core/prompt-text.js';
import type { DeploymentConfig, DeploymentKind } from '../config/deployment-schema.js';
import {
  targetMembers,
  targetName,
  type AuthContext,
  type ChatCall,
  type Target,
} from './gateway-types.js';
import { modelParam } from './model-from-models.js';
import { scopeAllows } from '../core/scope-allows.js';

/** Routing modes in order of spend: a key's ceiling and a budget's override compare by it. */
export const MODE_RANK: Record<RoutingMode, number> = { cost: 0, balanced: 1, quality: 2 };
export const ZONE_HEADER = 'x-router-data-zone';
export const REGIONS_HEADER = 'x-router-regions';
const MODE_HEADER = 'x-router-mode';

/** The router or deployment a request names (the Azure path's deployment wins); 404 otherwise. */
export function resolveTarget(snapshot: RuntimeConfig, call: ChatCall): Target {
  const name = call.deploymentFromPath ?? call.request.model;
  const router = snapshot.routers.get(name);
  if (router) return { kind: 'router', router };
  const pool = snapshot.pools.get(name);
  if (pool) return { kind: 'pool', pool };
  const deployment = snapshot.deployments.get(name);
  if (deployment) return { kind: 'deployment', deployment };
  // `models[0]` where `model` was left out and taken from there (model-fallbacks.ts).
  const param = call.deploymentFromPath ? null : modelParam(call.request);
  const field = param === 'models[0]' ? 'models[0]: the' : 'The';
  throw new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    // Azure's code for a deployment named in its path; OpenAI's for a `model` in the body (input
    // audit F7, 2026-12-06: /v1 answered with Azure's code, which OpenAI clients do not know).
    code: call.deploymentFromPath ? 'DeploymentNotFound' : 'model_not_found',
    param,
    message: `${field} model or deployment ${quoteName(name)} does not exist or you do not have access to it. GET /v1/models lists the router deployments and deployments you can use.`,
  });
}

/**
 * Exact token counts cost CPU (≈0.7 ms for a new 2k-token message of real text, half of all the
 * router's CPU for such a request) and the tokenizer's memory. They are needed only when the
 * prompt could come near a context window (a token is at least one byte). TPM limits are charged
 * the estimate up front, as Azure does, and settled with the upstream's usage afterwards.
 */
export function needsExactCount(
  snapshot: RuntimeConfig,
  call: ChatCall,
  target: Target,
  upperBound: number,
): boolean {
  const total = upperBound + requestedOutputTokens(call.request);
  if (target.kind === 'deployment') return total > target.deployment.contextWindow;
  for (const name of targetMembers(target)) {
    const d = snapshot.deployments.get(name);
    if (d && total > d.contextWindow) return true;
  }
  return false;
}

/** 403 unless the caller's key is scoped to the target. */
export function authorizeTarget(call: ChatCall, target: Target): void {
  const name = targetName(target);
  if (scopeAllows(call.auth.scopes, name)) return;
  // Named as the fallbacks after it are (model-fallbacks.ts) when `models[0]` named it.
  if (!call.deploymentFromPath && modelParam(call.request) === 'models[0]')
    throw new GatewayError({
      status: 403,
      type: 'permission_error',
      code: 'permission_denied',
      param: 'models[0]',
      message: `This API key may not use "${name}" (models[0]): leave it out of models, or use a key scoped to it.`,
    });
  throw forbidden(notScopedMessage(call, name));
}

/** The 403's words: the key's own scopes (GET /v1/router/key shows them too), so the fix is plain. */
function notScopedMessage(call: ChatCall, name: string): string {
  const scopes = call.auth.scopes.slice(0, 10).join(', ');
  return `This API key may not use "${name}": its scopes are ${scopes}${call.auth.scopes.length > 10 ? ', …' : ''} (GET /v1/models lists what it may use).`;
}

/** What each kind of model is called, and where its requests go (for errors that say so). */
const MODEL_KINDS: Record<
  DeploymentKind,
  {
    a: string;
    what: string;
    pool: string;
    requests: string;
    path: string;
    /** Its operation under Azure's `/openai/deployments/{name}/`, where Azure has one. */
    azureOperation?: string;
  }
> = {
  chat: {
    a: 'a chat',
    what: 'a chat model',
    pool: 'chat models',
    requests: 'chat',
    path: '/v1/chat/completions',
    azureOperation: 'chat/completions',
  },
  embeddings: {
    a: 'an embedding',
    what: 'an embedding model',
    pool: 'embedding models',
    requests: 'embeddings',
    path: '/v1/embeddings',
    azureOperation: 'embeddings',
  },
  moderation: {
    a: 'a moderation',
    what: 'a moderation model',
    pool: 'moderation models',
    requests: 'moderation',
    path: '/v1/moderations',
  },
  images: {
    a: 'an image',
    what: 'an image model',
    pool: 'image models',
    requests: 'image generation',
    path: '/v1/images/generations',
    azureOperation: 'images/generations',
  },
  speech: {
    a: 'a text-to-speech',
    what: 'a text-to-speech model',
    pool: 'text-to-speech models',
    requests: 'speech',
    path: '/v1/audio/speech',
    azureOperation: 'audio/speech',
  },
  transcription: {
    a: 'a transcription',
    what: 'a transcription model',
    pool: 'transcription models',
    requests: 'transcription',
    path: '/v1/audio/transcriptions',
    azureOperation: 'audio/transcriptions',
  },
  rerank: {
    a: 'a rerank',
    what: 'a reranker',
    pool: 'rerankers',
    requests: 'rerank',
    path: '/v1/rerank',
  },
  realtime: {
    a: 'a realtime',
    what: 'a realtime model',
    pool: 'realtime models',
    requests: 'realtime',
    path: '/v1/realtime',
  },
};

/** The kind of model a target serves: a router routes chat; a pool is of one kind. */
export function targetModelKind(snapshot: RuntimeConfig, target: Target): DeploymentKind {
  if (target.kind === 'router') return 'chat';
  if (target.kind === 'deployment') return target.deployment.kind;
  return snapshot.deployments.get(target.pool.deployments[0]!)?.kind ?? 'chat';
}

/**
 * Where a request named its target, for the errors about it: the body's field (`model`, or
 * `models[0]`), or the URL (`deploymentFromPath`: Azure's `/openai/deployments/{name}/…`, the
 * Azure realtime path's `?deployment=`), which is no body field (`param` null, as resolveTarget's
 * DeploymentNotFound has), so the message says the name came from the URL instead.
 */
export interface TargetNaming {
  param: string | null;
  fromPath: boolean;
}

/** How `call` named its target (see TargetNaming). */
export function targetNaming(call: Pick<ChatCall, 'deploymentFromPath' | 'request'>): TargetNaming {
  return call.deploymentFromPath !== undefined
    ? { param: null, fromPath: true }
    : { param: modelParam(call.request), fromPath: false };
}

const BODY_MODEL: TargetNaming = { param: 'model', fromPath: false };

/** `"name"`, or `"name", the deployment named in the URL,` where the URL named it. */
function quoteTarget(name: string, naming: TargetNaming): string {
  return naming.fromPath ? `"${name}", the deployment named in the URL,` : `"${name}"`;
}

/** Where `kind`'s requests for `name` go: its Azure deployment path when the URL named it, if any. */
function kindPath(kind: DeploymentKind, name: string, naming: TargetNaming): string {
  const k = MODEL_KINDS[kind];
  // Realtime is a WebSocket the client opens with a GET upgrade naming the model in the query
  // (http/realtime/realtime-routes.ts), not a POST: Azure's dated path names the deployment.
  if (kind === 'realtime') {
    const q = encodeURIComponent(name);
    return naming.fromPath
      ? `a WebSocket: GET /openai/realtime?api-version=…&deployment=${q}`
      : `a WebSocket: GET ${k.path}?model=${q}`;
  }
  if (!naming.fromPath) return `POST ${k.path}`;
  return k.azureOperation
    ? `POST /openai/deployments/${encodeURIComponent(name)}/${k.azureOperation}`
    : `POST ${k.path} with it as model`;
}

/** 400 `model_not_chat` for a chat request naming an embedding or moderation model, or a pool of them. */
export function checkChatTarget(
  snapshot: RuntimeConfig,
  target: Target,
  naming: TargetNaming = BODY_MODEL,
): void {
  const kind = targetModelKind(snapshot, target);
  if (kind === 'chat') return;
  const k = MODEL_KINDS[kind];
  const name = targetName(target);
  const what = target.kind === 'pool' ? `a pool of ${k.pool}` : k.what;
  const instead = naming.fromPath ? 'in the URL' : 'here';
  throw invalidRequest(
    `${quoteTarget(name, naming)} is ${what}: send it ${k.requests} requests (${kindPath(kind, name, naming)}), or name a chat model or router ${instead}.`,
    naming.param,
    'model_not_chat',
  );
}

/** A target called by name for `kind` (not routed): the members the caller's key may use. */
export interface NamedModel {
  target: Target;
  name: string;
  allowed: DeploymentConfig[];
}

/**
 * What an embeddings or moderation request names: a deployment or pool of that kind (400
 * `model_not_<kind>` otherwise), which the caller's key may use (403), and its members the key
 * may use.
 */
export function resolveNamedModel(
  snapshot: RuntimeConfig,
  call: ChatCall,
  kind: Exclude<DeploymentKind, 'chat'>,
): NamedModel {
  const target = resolveTarget(snapshot, call);
  const k = MODEL_KINDS[kind];
  const code = `model_not_${kind}`;
  const naming = targetNaming(call);
  if (target.kind === 'router')
    throw invalidRequest(
      `${quoteTarget(target.router.name, naming)} is a router deployment: routers route chat. Name ${k.what} (kind: ${kind}) or a pool of them ${naming.fromPath ? 'in the URL' : 'as model'}.`,
      naming.param,
      code,
    );
  const name = targetName(target);
  const members = targetMembers(target)
    .map((n) => snapshot.deployments.get(n))
    .filter((m): m is DeploymentConfig => m !== undefined);
  const other = members.find((m) => m.kind !== kind);
  if (other)
    throw invalidRequest(
      `${quoteTarget(name, naming)} is ${MODEL_KINDS[other.kind].a} ${target.kind}, not ${k.what} (kind: ${kind}): send it ${MODEL_KINDS[other.kind].requests} requests (${kindPath(other.kind, name, naming)}).`,
      naming.param,
      code,
    );
  authorizeTarget(call, target);
  const allowed = members.filter((m) => keyAllowsDeployment(call, target, m.name));
  if (allowed.length === 0) throw forbidden(`This API key may not use "${name}".`);
  return { target, name, allowed };
}

/**
 * A key scoped to a router or pool may use its deployments through it, narrowed by its own
 * subset.
 */
export function keyAllowsDeployment(call: ChatCall, target: Target, name: string): boolean {
  return authAllowsDeployment(call.auth, target, name);
}

/** Whether `auth` may use deployment `name` through `target` (a router's or pool's member too). */
export function authAllowsDeployment(auth: AuthContext, target: Target, name: string): boolean {
  const subset = auth.modelSubset;
  if (subset && !subset.includes(name)) return false;
  return target.kind !== 'deployment' || scopeAllows(auth.scopes, name);
}

/**
 * Whether a caller may name `target` at all: its key is scoped to it (else the 403 of
 * authorizeTarget) and may use one of its deployments. `GET /v1/models` lists only these, as
 * OpenAI lists only the models a key's project may use.
 */
export function keyMayUse(auth: AuthContext, target: Target): boolean {
  if (!scopeAllows(auth.scopes, targetName(target))) return false;
  return targetMembers(target).some((name) => authAllowsDeployment(auth, target, name));
}

/**
 * What a routed chat request would be refused for before any upstream is called (the target is
 * not chat, the key is not scoped to it, or its `modelSubset` leaves it none), for the requests
 * that answer before routing: a Responses WebSocket warm-up (`generate: false`) and a background
 * response's creation. Before 2026-12-07 both answered for a model the key may not use.
 */
export function authorizeChatTarget(snapshot: RuntimeConfig, call: ChatCall): void {
  const target = resolveTarget(snapshot, call);
  authorizeTarget(call, target);
  checkChatTarget(snapshot, target, targetNaming(call));
  if (!keyMayUse(call.auth, target))
    throw forbidden(
      `This API key may not use any deployment "${targetName(target)}" would serve from (the key's modelSubset): GET /v1/models lists what it may use.`,
    );
}

/** A request header's (first) value. */
export function headerValue(call: ChatCall, name: string): string | undefined {
  const v = call.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Router zone, narrowed (never widened) by the request's `x-router-data-zone` header. */
export function resolveZone(
  call: ChatCall,
  target: Target,
): { dataZone?: string; regions?: ReadonlySet<string> } {
  const routerZone =
    target.kind === 'router' && target.router.deploymentType === 'DataZoneStandard'
      ? target.router.dataZone
      : undefined;
  const asked = headerValue(call, ZONE_HEADER)?.trim().toLowerCase();
  let dataZone = routerZone;
  if (asked) {
    if (routerZone && asked !== routerZone.toLowerCase()) {
      throw invalidRequest(
        `${ZONE_HEADER}: "${asked}" would widen the data zone of router "${(target as { router: RouterConfig }).router.name}", which is "${routerZone}"; a request may only narrow its zone.`,
        ZONE_HEADER,
        'data_zone_not_allowed',
      );
    }
    dataZone = routerZone ?? asked;
  }
  const regionsRaw = headerValue(call, REGIONS_HEADER);
  const regions = regionsRaw
    ? new Set(
        regionsRaw
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      )
    : undefined;
  if (regions && regions.size === 0)
    throw invalidRequest(
      `${REGIONS_HEADER} names no region: send a comma-separated list such as eastus2,swedencentral, or leave the header out.`,
      REGIONS_HEADER,
    );
  return { dataZone, regions };
}

/** The mode a request is routed in, and why when it is not the one asked for. */
export interface ModeChoice {
  mode: RoutingMode;
  /**
   * The key's `maxRoutingMode` lowered the mode asked for (the header's, else the router's):
   * said in `x-router-warnings` and the receipt's reason, so the pick is never unexplained.
   */
  keyCap?: string;
  /**
   * A budget near its limit lowered it to cost (`budgets.shiftToCostAt`): said in the receipt's
   * reason (admission already warns of the shift in `x-router-warnings`).
   */
  budgetShift?: string;
}

/** The mode used: router default, client header (capped by the key's ceiling), budget override. */
export function effectiveMode(
  call: ChatCall,
  router: RouterConfig,
  override: RoutingMode | undefined,
): ModeChoice {
  let mode: RoutingMode = router.routingMode;
  const asked = headerValue(call, MODE_HEADER)?.toLowerCase();
  if (asked) {
    if (asked !== 'balanced' && asked !== 'quality' && asked !== 'cost')
      throw invalidRequest(
        `${MODE_HEADER} must be one of balanced, quality, cost (got "${asked}").`,
        MODE_HEADER,
      );
    mode = asked;
  }
  const choice: ModeChoice = { mode };
  const ceiling = call.auth.maxRoutingMode;
  if (ceiling && MODE_RANK[mode] > MODE_RANK[ceiling]) {
    const source = asked ? `asked in ${MODE_HEADER}` : `router "${router.name}"'s default`;
    choice.keyCap = `routing mode ${mode} (${source}) capped at ${ceiling}: this API key's maxRoutingMode is ${ceiling}`;
    choice.mode = mode = ceiling;
  }
  if (override && MODE_RANK[override] < MODE_RANK[mode]) {
    choice.budgetShift = `routing mode ${mode} shifted to ${override}: a budget is nearly spent (budgets.shiftToCostAt)`;
    choice.mode = override;
  }
  return choice;
}
