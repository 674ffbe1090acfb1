// Responses `truncation: "auto"` on the bridged path (openapi.yaml `Response.truncation`: "If the
// input to this Response exceeds the model's context window size, the model will truncate the
// response to fit the context window by dropping items from the beginning of the conversation").
// A Responses-native upstream gets the request as sent and truncates it itself; for the rest the
// router leaves the oldest messages out of what the model reads, until the prompt and the output
// asked for fit the largest context window among the deployments that could otherwise serve the
// request. Never left out: system and developer messages, the latest user message, and the last
// message group after it (an assistant's tool calls with their results). Whole earlier turns go
// first (each from a user message to the next), then the groups after the latest user message, so
// what is left still starts on a user turn and every tool call keeps its result. The stored
// conversation keeps everything; only what the model reads this turn is shorter.
import type { RuntimeConfig } from '../../config/runtime-config.js';
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { countPromptTokens, requestedOutputTokens } from '../../core/prompt-text.js';
import type { ChatMessage, ChatRequest } from '../../core/wire-types.js';
import { targetMembers, type ChatCall, type ChatOutcome } from '../../gateway/gateway-types.js';
import { resolveTarget } from '../../gateway/request-target.js';
import { checkDeployment, requestNeeds } from '../../routing/eligibility.js';

export interface Truncation {
  /** The request as the model should read it. */
  chat: ChatRequest;
  /** Messages left out, of how many. */
  dropped: number;
  of: number;
  /** The context window it was cut to fit. */
  window: number;
}

/** Message indices in drop order: groups, each dropped whole, oldest first. */
function dropGroups(messages: readonly ChatMessage[]): number[][] {
  const pinnedRole = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';
  let latestUser = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user') latestUser = i;
  });
  if (latestUser < 0) return [];
  const groups: number[][] = [];
  // Earlier turns: from a user message up to the next (anything before the first user message is
  // a group of its own, dropped first).
  let current: number[] = [];
  for (let i = 0; i < latestUser; i++) {
    if (pinnedRole(messages[i]!)) continue;
    if (messages[i]!.role === 'user' && current.length) {
      groups.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length) groups.push(current);
  // After the latest user message: an assistant message with the tool results that follow it.
  const after: number[][] = [];
  for (let i = latestUser + 1; i < messages.length; i++) {
    const m = messages[i]!;
    if (pinnedRole(m)) continue;
    if (m.role === 'tool' && after.length) after[after.length - 1]!.push(i);
    else after.push([i]);
  }
  after.pop(); // the last group is what the model answers now
  return [...groups, ...after];
}

function withoutGroups(
  request: ChatRequest,
  groups: readonly number[][],
  count: number,
): ChatRequest {
  const left = new Set(groups.slice(0, count).flat());
  return { ...request, messages: request.messages.filter((_, i) => !left.has(i)) };
}

/**
 * The largest context window among the deployments `chat` may go to that fail no rule of the
 * request itself but its size (tools, images, streaming, …); undefined when none.
 */
function largestWindow(config: RuntimeConfig, chat: ChatRequest): number | undefined {
  let target;
  try {
    target = resolveTarget(config, { request: chat } as ChatCall);
  } catch {
    return undefined; // the gateway's 404 says so
  }
  const needs = requestNeeds(chat, 0);
  let largest: number | undefined;
  for (const name of targetMembers(target)) {
    const d: DeploymentConfig | undefined = config.deployments.get(name);
    if (!d || checkDeployment(d, needs, { circuitAllows: () => true }).length) continue;
    largest = Math.max(largest ?? 0, d.contextWindow);
  }
  return largest;
}

/**
 * `chat` with its oldest messages left out so that it fits, or undefined when it fits already, or
 * when even what is never left out does not fit (the gateway's context-length 400 then tells the
 * client about the whole input, as without truncation).
 */
export async function truncateToFit(
  config: RuntimeConfig,
  chat: ChatRequest,
  scope: string,
): Promise<Truncation | undefined> {
  const window = largestWindow(config, chat);
  if (window === undefined) return undefined;
  const budget = window - requestedOutputTokens(chat);
  const fits = async (r: ChatRequest) => (await countPromptTokens(r, scope)) <= budget;
  if (await fits(chat)) return undefined;
  const groups = dropGroups(chat.messages);
  if (!groups.length || !(await fits(withoutGroups(chat, groups, groups.length)))) return undefined;
  // The fewest groups to drop: the count only falls as more are dropped.
  let lo = 1;
  let hi = groups.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await fits(withoutGroups(chat, groups, mid))) hi = mid;
    else lo = mid + 1;
  }
  const truncated = withoutGroups(chat, groups, lo);
  return {
    chat: truncated,
    dropped: chat.messages.length - truncated.messages.length,
    of: chat.messages.length,
    window,
  };
}

/**
 * Says in `x-router-warnings` what the model did not read, when a deployment that got the
 * truncated chat request served (a Responses-native one got the input whole, and truncated it
 * itself).
 */
export function warnTruncated(
  config: RuntimeConfig,
  outcome: ChatOutcome,
  t: Truncation,
): ChatOutcome {
  const served = outcome.headers['x-router-deployment'];
  const d = typeof served === 'string' ? config.deployments.get(served) : undefined;
  if (d?.capabilities.responsesApi) return outcome;
  const warning = `truncation "auto" left the oldest ${t.dropped} of ${t.of} messages out of what the model read, to fit a ${t.window}-token context window (the stored conversation keeps them)`;
  const before = outcome.headers['x-router-warnings'];
  outcome.headers['x-router-warnings'] = before ? `${before}; ${warning}` : warning;
  return outcome;
}
