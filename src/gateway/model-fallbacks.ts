// OpenRouter's model fallbacks (`models` in a request body, with `route: "fallback"`,
// https://openrouter.ai/docs/features/model-routing) in this router's terms: each entry names a
// router deployment, pool or deployment, tried in turn after `model`'s when it cannot serve (no
// eligible deployment, or every one failed retryably before the first byte). Each entry is
// checked as `model` is (it exists, serves chat, the key may use it), naming `models[i]`.
// Where a request was served among them (`RoutedTo`), its attempts tagged by target.
import type { RuntimeConfig } from '../config/runtime-config.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import { targetMembers, targetName, type ChatCall, type Target } from './gateway-types.js';
import { quoteName } from '../core/describe-value.js';
import { keyAllowsDeployment, targetModelKind } from './request-target.js';
import { modelParam } from './model-from-models.js';
import type { RequestRecord } from '../store/request-record.js';
import type { ExecutionResult } from './execute-with-failover.js';
import type { PlannedBatchLine } from './gateway-types.js';
import type { RoutePlan, TargetTried } from './plan-route.js';
import { describeValue } from '../core/describe-value.js';
import { scopeAllows } from '../core/scope-allows.js';

/** At most this many `models` (OpenRouter allows a few; each one tried can cost a deadline). */
export const MAX_MODELS = 5;

/** A target the request may be served by, and the field that named it. */
export interface NamedTarget {
  target: Target;
  /** `model`, or `models[i]`. */
  param: string;
}

/** A wrong value as a 400 quotes it: its JSON, cut to 40 characters. */
const quote = (v: unknown) => (JSON.stringify(v) ?? String(v)).slice(0, 40);

/**
 * `models` (a 400 naming `route`, `models` or the entry at fault when malformed), undefined when
 * absent.
 */
export function requestedModels(body: Record<string, unknown>): string[] | undefined {
  const route = body.route;
  if (route !== undefined && route !== null && route !== 'fallback')
    throw invalidRequest(
      `route must be "fallback", the one way models are tried (got ${describeValue(route)}).`,
      'route',
      'invalid_value',
    );
  const models = body.models;
  if (models === undefined || models === null) return undefined;
  const what = `names of router deployments, pools or deployments, tried in turn when the one before cannot serve (GET /v1/models lists them)`;
  if (!Array.isArray(models))
    throw invalidRequest(
      `models must be an array of 1 to ${MAX_MODELS} ${what}; got ${quote(models)}.`,
      'models',
      'invalid_type',
    );
  if (models.length === 0 || models.length > MAX_MODELS)
    throw invalidRequest(
      `models must hold 1 to ${MAX_MODELS} ${what}; it holds ${models.length}.`,
      'models',
      'invalid_value',
    );
  const wrong = models.findIndex((m) => typeof m !== 'string' || m.length === 0);
  if (wrong >= 0)
    throw invalidRequest(
      `models[${wrong}] must be the name of a router deployment, pool or deployment; got ${quote(models[wrong])}.`,
      `models[${wrong}]`,
      typeof models[wrong] === 'string' ? 'invalid_value' : 'invalid_type',
    );
  return models as string[];
}

/**
 * The targets to try, in order: `model`'s (`primary`), then each of `models` not named before.
 * An entry that does not exist is a 404, one that serves no chat a 400, one the key may not use
 * (its scopes, or none of its deployments in the key's subset) a 403, each naming `models[i]`:
 * a fallback never widens what the key may use.
 */
export function fallbackTargets(
  snapshot: RuntimeConfig,
  call: ChatCall,
  primary: Target,
): NamedTarget[] {
  const out: NamedTarget[] = [{ target: primary, param: modelParam(call.request) }];
  const models = requestedModels(call.request as unknown as Record<string, unknown>);
  if (!models) return out;
  const seen = new Set([targetName(primary)]);
  models.forEach((name, i) => {
    if (seen.has(name)) return;
    seen.add(name);
    const param = `models[${i}]`;
    const target = lookUp(snapshot, name, param);
    if (targetModelKind(snapshot, target) !== 'chat')
      throw invalidRequest(
        `${param} "${name}" is not a chat model: name a chat model, pool or router deployment.`,
        param,
        'model_not_chat',
      );
    const allowed =
      scopeAllows(call.auth.scopes, name) &&
      targetMembers(target).some((m) => keyAllowsDeployment(call, target, m));
    if (!allowed)
      throw new GatewayError({
        status: 403,
        type: 'permission_error',
        code: 'permission_denied',
        param,
        message: `This API key may not use "${name}" (${param}): leave it out of models, or use a key scoped to it.`,
      });
    out.push({ target, param });
  });
  return out;
}

function lookUp(snapshot: RuntimeConfig, name: string, param: string): Target {
  const router = snapshot.routers.get(name);
  if (router) return { kind: 'router', router };
  const pool = snapshot.pools.get(name);
  if (pool) return { kind: 'pool', pool };
  const deployment = snapshot.deployments.get(name);
  if (deployment) return { kind: 'deployment', deployment };
  throw new GatewayError({
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    param,
    message: `${param}: the model or deployment ${quoteName(name)} does not exist or you do not have access to it. GET /v1/models lists the router deployments and deployments you can use.`,
  });
}

/** Where a request was served: its plan and answer, the target, and the targets tried before. */
export type RoutedTo =
  | {
      plan: RoutePlan;
      result: ExecutionResult;
      served: NamedTarget;
      tried: TargetTried[];
    }
  | { held: PlannedBatchLine };

/** With fallbacks, the attempts made for a target name it. */
export function tagAttempts(
  record: RequestRecord,
  from: number,
  target: string,
  targets: number,
): void {
  if (targets > 1) for (const a of record.attempts.slice(from)) a.target = target;
}
