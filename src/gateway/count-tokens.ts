// `countTokens` for the count-tokens routes: the prompt tokens of a request as the deployment's
// provider counts them where it can, else the router's own exact count. Apart from the gateway
// because it neither routes nor records. The provider's count is held in the shutdown drain: one
// still running at the drain deadline gives way to the router's own count.
import { bridgeCustomToolsFor } from './custom-tool-bridge.js';
import { countPromptTokens } from '../core/prompt-text.js';
import type { GatewayDeps } from './gateway-deps.js';
import { targetName, type ChatCall } from './gateway-types.js';
import { forbidden } from '../core/errors.js';
import { authorizeTarget, checkChatTarget, keyMayUse, resolveTarget } from './request-target.js';

/** How long a provider's own token count may take before the router counts instead. */
const COUNT_TIMEOUT_MS = 10_000;

/**
 * The prompt tokens of a request, for a model or router deployment the caller may use (404 /
 * 403 otherwise). A deployment whose provider counts (Anthropic) is asked, with the request as
 * it would be sent; so is one whose upstream speaks a `native` request's API (a Responses request
 * to OpenAI's `/responses/input_tokens`). Otherwise, or if the provider cannot answer, the
 * router's exact count, the one it checks context windows with (o200k BPE: message texts, the
 * chat format's per-message overhead, tool schemas; images count nothing). `countedBy` says
 * which; `warning` why not.
 */
export async function countTokens(
  deps: Pick<GatewayDeps, 'config' | 'adapters' | 'drain' | 'policies'>,
  call: Pick<ChatCall, 'request' | 'auth' | 'native'> & { requestId?: string },
): Promise<{ inputTokens: number; countedBy: string; warning?: string }> {
  const target = resolveTarget(deps.config.current, call as ChatCall);
  // Counted for a model the request's own route serves: an embedding or other model that route
  // refuses is the same 400 here (Anthropic audit F13: count_tokens answered for it).
  checkChatTarget(deps.config.current, target);
  authorizeTarget(call as ChatCall, target);
  // The key's model subset too, as every other route checks it: a key that may not use a
  // deployment does not get the operator's upstream asked to count for it (security audit F3).
  if (!keyMayUse(call.auth, target))
    throw forbidden(
      `This API key may not use "${targetName(target)}": its model subset leaves it out.`,
    );
  // An exact count costs CPU (seconds of a core for a few MB): the key's RPM limit applies, as
  // docs/operations.md tells operators to rely on for keys they do not control (before, the
  // count routes were not limited at all: security audit F2, 2026-12-06).
  await deps.policies?.chargeKeyRequest?.(call.auth);
  let warning: string | undefined;
  if (target.kind === 'deployment') {
    const d = target.deployment;
    const adapter = deps.adapters.adapterFor(d);
    const stop = new AbortController();
    const signal = AbortSignal.any([AbortSignal.timeout(COUNT_TIMEOUT_MS), stop.signal]);
    // A native request (Responses) is counted natively where the upstream speaks its API.
    const native = call.native && adapter.countNativeTokens ? call.native : undefined;
    if (native || adapter.countTokens) {
      const untrack = deps.drain?.track(stop);
      try {
        return {
          inputTokens: native
            ? await adapter.countNativeTokens!({
                deployment: d,
                native,
                signal,
                requestId: call.requestId ?? 'count',
              })
            : await adapter.countTokens!({
                deployment: d,
                // As it would be sent: custom tools as the function tools they go up as.
                body: bridgeCustomToolsFor({ ...call.request, model: d.model }, d).body,
                signal,
              }),
          countedBy: d.name,
        };
      } catch (err) {
        const why = stop.signal.aborted
          ? 'the router is shutting down'
          : (err as Error).message.replace(/[^\x20-\x7e]/g, ' ');
        warning = `${d.name} could not count (${why}); this is the router's own count`;
      } finally {
        untrack?.();
      }
    }
  }
  return {
    inputTokens: await countPromptTokens(call.request, call.auth.keyId ?? ''),
    countedBy: 'router',
    ...(warning ? { warning } : {}),
  };
}
