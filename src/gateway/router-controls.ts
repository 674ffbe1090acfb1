// Microsoft Foundry's preview router controls: a client that sends
// `Foundry-Features: ModelRouterControls=V1Preview` gets `model_selection_details` in the reply
// (the decision, its reason and the attempts), as Foundry's Model Router returns them.
import type { StoredReceipt } from '../routing/receipt.js';
import type { ChatCall } from './gateway-types.js';
import { headerValue } from './request-target.js';

/** Foundry preview controls: `Foundry-Features: ModelRouterControls=V1Preview`. */
export function wantsRouterControls(call: ChatCall): boolean {
  const v = headerValue(call, 'foundry-features');
  return v !== undefined && v.includes('ModelRouterControls=V1Preview');
}

/** The receipt as Foundry's `model_selection_details` (decision, reason, attempts, affinity). */
export function modelSelectionDetails(receipt: StoredReceipt): Record<string, unknown> {
  return {
    model_router_details: {
      decision_id: receipt.id,
      routing_mode: receipt.mode,
      router_version: receipt.version,
      selected_deployment: receipt.servedBy ?? receipt.pick,
      reason: receipt.reason,
      routing_trace: receipt.attempts.map((a) => ({
        deployment: a.deployment,
        model: a.model,
        status: a.outcome,
        http_status: a.httpStatus ?? null,
        error: a.errorCode ?? null,
        latency_ms: Math.round(a.latencyMs * 1000) / 1000,
      })),
      session_affinity: receipt.sessionAffinity
        ? {
            strategy: receipt.sessionAffinity.strategy,
            session_id: receipt.sessionAffinity.sessionId ?? null,
            decision: receipt.sessionAffinity.outcome,
            previous_deployment: receipt.sessionAffinity.previousDeployment ?? null,
          }
        : null,
    },
  };
}
