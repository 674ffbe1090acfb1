// Responses `truncation: "auto"` on the bridged path (openapi.yaml `Response.truncation`: "If the
// input to this Response exceeds the model's context window size, the model will truncate the
// response to fit the context window by dropping items from the beginning of the conversation").
// A Responses-native upstream gets the request as sent and truncates it itself; for the rest the
// router leaves the oldest messages out of what the model reads (context-fit.ts, oldest first).
// The stored conversation keeps everything; only what the model reads this turn is shorter.
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { fitToContext, type Caller, type ContextFit } from '../../gateway/context-fit.js';
import type { ChatCall, ChatOutcome } from '../../gateway/gateway-types.js';
import { resolveTarget } from '../../gateway/request-target.js';
import type { PreparedResponse } from './responses-run.js';
import { warningsHeader } from '../../core/header-text.js';

/**
 * The turn's chat request cut to fit when its body asks for `truncation: "auto"`; undefined when
 * it does not ask, fits, or cannot be made to (the gateway's 400).
 */
export async function truncateToFit(
  config: RuntimeConfig,
  p: Pick<PreparedResponse, 'body' | 'chat'>,
  caller: Caller,
): Promise<ContextFit | undefined> {
  if (p.body.truncation !== 'auto') return undefined;
  const chat = p.chat;
  let target;
  try {
    target = resolveTarget(config, { request: chat } as ChatCall);
  } catch {
    return undefined; // the gateway's 404 says so
  }
  return fitToContext(config, target, chat, caller, 'oldest-first');
}

/**
 * Says in `x-router-warnings` what the model did not read, when a deployment that got the
 * truncated chat request served (a Responses-native one got the input whole, and truncated it
 * itself).
 */
export function warnTruncated(
  config: RuntimeConfig,
  outcome: ChatOutcome,
  t: ContextFit,
): ChatOutcome {
  const served = outcome.headers['x-router-deployment'];
  const d = typeof served === 'string' ? config.deployments.get(served) : undefined;
  if (d?.capabilities.responsesApi) return outcome;
  const warning = `truncation "auto" left the oldest ${t.dropped} of ${t.of} messages out of what the model read, to fit a ${t.window}-token context window (the stored conversation keeps them)`;
  const before = outcome.headers['x-router-warnings'];
  outcome.headers['x-router-warnings'] = warningsHeader(before ? [before, warning] : [warning]);
  return outcome;
}
