// Fitting an over-long conversation into a context window by leaving messages out of what the
// model reads, for the two ways clients ask for it: Responses' `truncation: "auto"` drops from the
// beginning (oldest first), OpenRouter's `transforms: ["middle-out"]` (or its `context-compression`
// plugin) from the middle outward, and then cuts the middle out of the longest text if that is
// not enough. The window is the largest among the deployments the target could send the request
// to that fail no rule of it but its size (tools, images, streaming, …, the key's model subset and
// the zone headers), so the router then picks among those it fits.
//
// Messages leave in groups, so what is left is a conversation every API takes: an earlier turn
// (a user message up to the next) leaves whole, so the rest starts on a user turn; after the
// latest user message, an assistant's tool calls leave with their results. Never left out:
// system and developer messages, the latest user message, and the last group after it (what the
// model answers now).
import type { RuntimeConfig } from '../config/runtime-config.js';
import { countPromptTokens, loadTokenizer, requestedOutputTokens } from '../core/prompt-text.js';
import type { ChatMessage, ChatRequest } from '../core/wire-types.js';
import { checkDeployment, requestNeeds } from '../routing/eligibility.js';
import { targetMembers, type ChatCall, type Target } from './gateway-types.js';
import { keyAllowsDeployment, resolveZone } from './request-target.js';

export type FitStrategy = 'oldest-first' | 'middle-out';

export interface ContextFit {
  /** The request as the model should read it. */
  chat: ChatRequest;
  /** Messages left out, of how many. */
  dropped: number;
  of: number;
  /** Characters cut from the middle of the longest text (middle-out only), 0 when none. */
  cutChars: number;
  /** The context window it was fitted to. */
  window: number;
}

const pinnedRole = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';

/** The groups of message indices that may leave, in conversation order. */
function droppableGroups(messages: readonly ChatMessage[]): number[][] {
  let latestUser = -1;
  messages.forEach((m, i) => {
    if (m.role === 'user') latestUser = i;
  });
  if (latestUser < 0) return [];
  const groups: number[][] = [];
  // Earlier turns, from a user message up to the next (anything before the first user message is
  // a group of its own).
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
    if ((m.role === 'tool' || m.role === 'function') && after.length)
      after[after.length - 1]!.push(i);
    else after.push([i]);
  }
  after.pop(); // the last group is what the model answers now
  return [...groups, ...after];
}

/** `groups` in the order they leave: oldest first, or from the middle outward (the start and
 * the end of the conversation stay longest; of two as near the middle, the later leaves first). */
function dropOrder(groups: number[][], strategy: FitStrategy): number[][] {
  if (strategy === 'oldest-first') return groups;
  const mid = (groups.length - 1) / 2;
  return groups
    .map((g, i) => ({ g, i }))
    .sort((a, b) => Math.abs(a.i - mid) - Math.abs(b.i - mid) || b.i - a.i)
    .map(({ g }) => g);
}

function without(request: ChatRequest, order: readonly number[][], count: number): ChatRequest {
  const left = new Set(order.slice(0, count).flat());
  return { ...request, messages: request.messages.filter((_, i) => !left.has(i)) };
}

/** Who asks: the key (its model subset) and the headers (data zone, regions). */
export type Caller = Pick<ChatCall, 'auth' | 'headers'>;

/**
 * The largest context window among the deployments `target` may send `chat` to that fail no
 * rule of the request but its size; the caller's key and zone headers narrow them as the gateway
 * will, the state of the moment (health, limits, budgets) does not. Undefined when none.
 */
function largestWindow(
  config: RuntimeConfig,
  target: Target,
  chat: ChatRequest,
  caller: Caller,
): number | undefined {
  // Not a spread: a Fastify request's `headers` is a getter on its prototype.
  const call = { auth: caller.auth, headers: caller.headers, request: chat } as ChatCall;
  let zone;
  try {
    zone = resolveZone(call, target);
  } catch {
    return undefined; // a zone header that widens the router's: the gateway's 400 says so
  }
  const needs = requestNeeds(chat, 0, zone);
  const probes = {
    circuitAllows: () => true,
    keyAllows: (name: string) => keyAllowsDeployment(call, target, name),
  };
  let largest: number | undefined;
  for (const name of targetMembers(target)) {
    const d = config.deployments.get(name);
    if (!d || checkDeployment(d, needs, probes).length) continue;
    largest = Math.max(largest ?? 0, d.contextWindow);
  }
  return largest;
}

/**
 * `chat` with messages left out so that it fits, or undefined when it fits already, or when even
 * what is never left out does not fit (and, for middle-out, cutting its longest text does not
 * make it fit): the gateway's context-length 400 then tells the client about the whole input.
 */
export async function fitToContext(
  config: RuntimeConfig,
  target: Target,
  chat: ChatRequest,
  caller: Caller,
  strategy: FitStrategy,
): Promise<ContextFit | undefined> {
  const window = largestWindow(config, target, chat, caller);
  if (window === undefined) return undefined;
  const scope = caller.auth.keyId ?? '';
  const budget = window - requestedOutputTokens(chat);
  const tokens = (r: ChatRequest) => countPromptTokens(r, scope);
  if ((await tokens(chat)) <= budget) return undefined;
  const order = dropOrder(droppableGroups(chat.messages), strategy);
  const fits = async (count: number) => (await tokens(without(chat, order, count))) <= budget;
  const fit = (fitted: ChatRequest, cutChars = 0): ContextFit => ({
    chat: fitted,
    dropped: chat.messages.length - fitted.messages.length,
    of: chat.messages.length,
    cutChars,
    window,
  });
  if (!(await fits(order.length))) {
    if (strategy !== 'middle-out') return undefined;
    const cut = await cutLongestText(without(chat, order, order.length), budget, scope);
    return cut ? fit(cut.chat, cut.cutChars) : undefined;
  }
  // The fewest groups to leave out: the count only falls as more leave.
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await fits(mid)) hi = mid;
    else lo = mid + 1;
  }
  return fit(without(chat, order, lo));
}

/** Where the longest text of a request is: a message's string content or one of its text parts. */
function longestText(messages: readonly ChatMessage[]) {
  let best: { message: number; part: number; text: string } | undefined;
  messages.forEach((m, message) => {
    const content = (m as { content?: unknown }).content;
    if (typeof content === 'string') {
      if (!best || content.length > best.text.length) best = { message, part: -1, text: content };
    } else if (Array.isArray(content))
      content.forEach((p: { type?: unknown; text?: unknown }, part) => {
        if (
          p?.type === 'text' &&
          typeof p.text === 'string' &&
          (!best || p.text.length > best.text.length)
        )
          best = { message, part, text: p.text };
      });
  });
  return best;
}

function withText(request: ChatRequest, at: { message: number; part: number }, text: string) {
  const messages = request.messages.map((m, i) => {
    if (i !== at.message) return m;
    if (at.part < 0) return { ...m, content: text } as ChatMessage;
    const parts = (m as { content: { type: string }[] }).content.map((p, j) =>
      j === at.part ? { ...p, text } : p,
    );
    return { ...m, content: parts } as ChatMessage;
  });
  return { ...request, messages };
}

const CUT_MARK = '\n\n[…]\n\n';

/**
 * Middle-out's last step: the middle of the longest text cut out (its start and end kept, a mark
 * where it was cut) so the request fits, or undefined when cutting all of it is not enough. The
 * text is counted on its own (not in the count cache, which its many cuts would flush).
 */
async function cutLongestText(
  request: ChatRequest,
  budget: number,
  scope: string,
): Promise<{ chat: ChatRequest; cutChars: number } | undefined> {
  const at = longestText(request.messages);
  if (!at) return undefined;
  const rest = await countPromptTokens(withText(request, at, CUT_MARK), scope);
  const room = budget - rest;
  if (room < 0) return undefined;
  const count = await loadTokenizer();
  const text = at.text;
  const cut = (keep: number) =>
    `${text.slice(0, Math.ceil(keep / 2))}${CUT_MARK}${text.slice(text.length - Math.floor(keep / 2))}`;
  // Keep as much as the text's own characters a token allow, then less until it fits.
  let keep = Math.floor((text.length * room) / Math.max(1, count(text)));
  for (let tries = 0; tries < 8 && keep > 0; tries++) {
    const tokens = count(cut(keep)) - count(CUT_MARK);
    if (tokens <= room) break;
    keep = Math.floor((keep * room) / tokens) - 16;
  }
  keep = Math.max(0, keep);
  if (count(cut(keep)) - count(CUT_MARK) > room) return undefined;
  const chat = withText(request, at, cut(keep));
  // The whole request counted as the gateway will count it.
  if ((await countPromptTokens(chat, scope)) > budget) return undefined;
  return { chat, cutChars: text.length - keep };
}
