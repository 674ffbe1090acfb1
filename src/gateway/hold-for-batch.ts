// A batch line held for its deployment's own Batch API (batch/forward): planned by the gateway as
// any chat request (scopes, policies, content filter, eligibility, the router's pick), then not
// called when its first choice is a deployment the batch may forward to. Everything the line's
// record needs later (when the upstream batch ends) is taken from the plan now.
import { adaptRequestForDeployment } from '../policy/reasoning-params.js';
import { takesCustomTools } from '../routing/eligibility.js';
import { customToolNames } from './custom-tool-bridge.js';
import type { BatchForwardOffer, ChatCall, PlannedBatchLine } from './gateway-types.js';
import type { RoutePlan } from './plan-route.js';
import type { RequestRecord } from '../store/request-record.js';

/** The planned line when `offer` takes the plan's first choice, else undefined (call it live). */
export function holdForBatch(
  offer: BatchForwardOffer | undefined,
  plan: RoutePlan,
  call: ChatCall,
  promptTokens: number,
  record: RequestRecord,
): PlannedBatchLine | undefined {
  const first = plan.ordered[0];
  if (!offer || !first || !offer.accepts(first)) return undefined;
  // Custom tools bridged to function tools come back as custom calls only when called live.
  if (!takesCustomTools(first) && customToolNames(call.request).size > 0) return undefined;
  const { body } = adaptRequestForDeployment(call.request, first);
  return {
    deployment: first,
    body,
    promptTokens,
    top: plan.topDeployment ?? first,
    ...(record.router !== undefined ? { router: record.router } : {}),
    ...(record.routingMode !== undefined ? { routingMode: record.routingMode } : {}),
    ...(record.routerVersion !== undefined ? { routerVersion: record.routerVersion } : {}),
    ...(record.decisionId !== undefined ? { decisionId: record.decisionId } : {}),
    ...(record.tags ? { tags: record.tags } : {}),
    ...(record.endUser !== undefined ? { endUser: record.endUser } : {}),
  };
}
