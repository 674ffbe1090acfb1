// Cost of a request from real usage and a deployment's prices (USD per 1M tokens). Cached prompt
// tokens are billed at the cached price, tokens written to a prompt cache at the cache-write
// price; reasoning tokens are already inside completion tokens. `accountUsage` writes them into
// a request's record, and says there whether any of them is the router's estimate.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { cacheWrite1hTokens, cacheWriteTokens, type ChatUsage } from '../core/wire-types.js';
import type { AttemptRecord, RequestRecord } from '../store/request-record.js';
import { webSearchOptions } from '../core/web-search.js';
import { outputChars } from '../core/output-chars.js';

export interface UsageCounts {
  promptTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to the provider's prompt cache (absent: none). */
  cacheWriteTokens?: number;
  /** Of those, written for an hour (Anthropic's 1-hour cache; absent: none). */
  cacheWrite1hTokens?: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Web searches run for the answer (`prices.perWebSearch` each; absent: none). */
  webSearches?: number;
  /** Some counts are the router's estimate: the upstream reported no usage. */
  estimated?: boolean;
}

export const NO_USAGE: UsageCounts = {
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
};

export function usageCounts(usage: ChatUsage | null | undefined): UsageCounts {
  if (!usage) return NO_USAGE;
  return {
    promptTokens: count(usage.prompt_tokens),
    cachedTokens: count(usage.prompt_tokens_details?.cached_tokens),
    cacheWriteTokens: count(cacheWriteTokens(usage)),
    ...(count(cacheWrite1hTokens(usage))
      ? { cacheWrite1hTokens: count(cacheWrite1hTokens(usage)) }
      : {}),
    completionTokens: count(usage.completion_tokens),
    reasoningTokens: count(usage.completion_tokens_details?.reasoning_tokens),
    ...(webSearchesOf(usage) ? { webSearches: webSearchesOf(usage) } : {}),
  };
}

/** A token count an upstream reported: a finite number ≥ 0, else none (0). */
function count(v: unknown): number {
  return tokenCount(v) ?? 0;
}

/** A token count an upstream reported, when it is one (a finite number ≥ 0). */
export function tokenCount(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * An upstream's `usage` when its counts are counts (each of prompt, completion and total tokens
 * absent or a finite number ≥ 0), else none: a reply whose usage says `"abc"`, −1000000 or
 * 1e308 is accounted as one that reported no usage (estimated), as the network's data must be
 * (before 2026-12-06 such a value reached the metrics, the TPM limits and the request log as
 * NaN, answered the client a 500 and wedged the log's writer: fault audit F1).
 */
export function reportedUsage<U extends ChatUsage>(usage: U | null | undefined): U | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  for (const v of [usage.prompt_tokens, usage.completion_tokens, usage.total_tokens])
    if (v != null && count(v) !== v) return undefined;
  return usage;
}

/** The searches a usage reports, as Anthropic's does (`server_tool_use.web_search_requests`). */
function webSearchesOf(usage: ChatUsage): number {
  const n = (usage as { server_tool_use?: { web_search_requests?: unknown } }).server_tool_use
    ?.web_search_requests;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The usage with the searches the request cost: as reported, or, for an OpenAI-format search
 * model (which searches on every request that asks, and reports no count), one.
 */
export function withWebSearches(
  usage: UsageCounts,
  request: Record<string, unknown>,
  served: Pick<DeploymentConfig, 'provider' | 'capabilities'>,
): UsageCounts {
  if (usage.webSearches || !served.capabilities.webSearch || !webSearchOptions(request))
    return usage;
  return served.provider === 'anthropic' ? usage : { ...usage, webSearches: 1 };
}

/**
 * An answer's usage as it reported it; without any (an upstream that leaves `usage` out), its
 * answer tokens estimated from its text as a stream's are (track-stream.ts): ≈4 characters a token
 * over text, refusal, reasoning (once) and tool-call input (core/output-chars.ts). The prompt is
 * left to the router's count (`accountUsage`).
 */
export function answerUsageCounts(response: {
  usage?: ChatUsage | null;
  choices?: readonly unknown[];
}): UsageCounts {
  const usage = reportedUsage(response.usage);
  if (usage) return usageCounts(usage);
  let chars = 0;
  for (const c of response.choices ?? [])
    chars += outputChars((c as { message?: unknown } | null)?.message);
  return { ...NO_USAGE, completionTokens: Math.ceil(chars / 4), estimated: true };
}

export function costUsd(d: Pick<DeploymentConfig, 'prices'>, u: UsageCounts): number {
  const cached = Math.min(u.cachedTokens, u.promptTokens);
  const written = Math.min(u.cacheWriteTokens ?? 0, u.promptTokens - cached);
  const writtenHour = Math.min(u.cacheWrite1hTokens ?? 0, written);
  const cachedPrice = d.prices.cachedInputPer1M ?? d.prices.inputPer1M;
  const writePrice = d.prices.cacheWriteInputPer1M ?? d.prices.inputPer1M;
  const hourPrice = d.prices.cacheWrite1hInputPer1M ?? writePrice;
  return (
    ((u.promptTokens - cached - written) * d.prices.inputPer1M +
      cached * cachedPrice +
      (written - writtenHour) * writePrice +
      writtenHour * hourPrice +
      u.completionTokens * d.prices.outputPer1M) /
      1e6 +
    (u.webSearches ?? 0) * (d.prices.perWebSearch ?? 0)
  );
}

/**
 * What the same request would have cost on the router's top deployment (the savings baseline):
 * the same prompt and answer tokens at its prices. Hidden reasoning tokens count only when the top
 * deployment reasons too; a non-reasoning model would not have written them, and counting them
 * would credit a reasoning model with savings it did not make.
 */
export function baselineCostUsd(
  top: Pick<DeploymentConfig, 'prices' | 'capabilities'>,
  u: UsageCounts,
): number {
  if (top.capabilities.reasoning || u.reasoningTokens === 0) return costUsd(top, u);
  return costUsd(top, {
    ...u,
    completionTokens: Math.max(0, u.completionTokens - u.reasoningTokens),
    reasoningTokens: 0,
  });
}

/** What `promptTokens` of input alone cost on `d` (an embeddings call: no answer tokens). */
export function inputCostUsd(d: Pick<DeploymentConfig, 'prices'>, promptTokens: number): number {
  return costUsd(d, { promptTokens, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 });
}

/**
 * Writes an answer's token counts into its record: the prompt's as reported, else as the router
 * counted it when the request came in; `usageEstimated` when either figure is the router's.
 */
export function recordTokens(record: RequestRecord, usage: UsageCounts): void {
  const promptCounted = !usage.promptTokens && record.promptTokens > 0;
  record.promptTokens = usage.promptTokens || record.promptTokens;
  record.cachedTokens = usage.cachedTokens;
  record.completionTokens = usage.completionTokens;
  record.reasoningTokens = usage.reasoningTokens;
  if (usage.webSearches) record.webSearches = usage.webSearches;
  record.usageEstimated = usage.estimated === true || promptCounted;
}

/** What a request spent besides its answer (a semantic lookup's embedding call). */
export interface ExtraSpend {
  costUsd: number;
  /** That cost rests on the router's token estimate (the upstream sent no usage). */
  usageEstimated: boolean;
  /** The call it was spent on, listed in the record's attempts (noteLookupCall). */
  call?: AttemptRecord;
}

/**
 * Lists a lookup's call (a semantic lookup's embedding call, AttemptRecord.lookup) first in the
 * record's attempts, once, so that its cost, which the record's `costUsd` already holds, counts at
 * the deployment that made it: in the usage summary by deployment, the metrics and the deployment
 * budgets, whether the request was answered from the cache, upstream, or not at all. Before
 * 2026-12-06 it counted at the chat deployment that served (or was last tried, or that wrote the
 * kept answer) in the request log, and at none or that one in the live budgets. A new array: the
 * decision's receipt, which shares the old one, lists the chat attempts only.
 */
export function noteLookupCall(record: RequestRecord, call: AttemptRecord | undefined): void {
  if (call && !record.attempts.includes(call)) record.attempts = [call, ...record.attempts];
}

/**
 * Writes a chat answer's usage into its record with its cost on the deployment that served and
 * its baseline on the top one; `extra` is spent besides (a semantic lookup's embedding, its call
 * listed in the attempts), as are the content filter's moderation calls listed there already
 * (noteFilterCalls), and makes the record's usage estimated when its own is, as do earlier
 * attempts that gave no answer and were charged (timed out: `AttemptRecord.costUsd`), whose cost
 * is spent besides too and, as the embedding's, comes off the savings rather than raising the
 * baseline.
 */
export function accountUsage(
  record: RequestRecord,
  served: DeploymentConfig,
  top: DeploymentConfig,
  usage: UsageCounts,
  extra?: ExtraSpend,
): void {
  recordTokens(record, usage);
  noteLookupCall(record, extra?.call);
  const unanswered = attemptsCostUsd(record.attempts);
  const filtered = filterCallsCostUsd(record.attempts);
  if (extra?.usageEstimated || unanswered > 0 || filtered > 0) record.usageEstimated = true;
  const counted = { ...usage, promptTokens: record.promptTokens };
  record.costUsd = costUsd(served, counted) + (extra?.costUsd ?? 0) + unanswered + filtered;
  record.baselineCostUsd = baselineCostUsd(top, counted);
}

/**
 * Moves the moderation calls the content filter made for a request so far (`pending`, emptied:
 * AdmitContext.filterCalls) to the end of its record's attempts (`lookup: 'content_filter'`, a
 * new array, as noteLookupCall's) and adds what they cost to its `costUsd`, estimated (a
 * moderation reply reports no usage), so that it counts at the moderation deployment: in the usage
 * summary, the metrics and the deployment budgets. Before 2026-12-06 they counted nowhere.
 * Returns what was added; call it before the record is settled and finished, as often as needed.
 */
export function noteFilterCalls(
  record: RequestRecord,
  pending: AttemptRecord[] | undefined,
): number {
  if (!pending?.length) return 0;
  const calls = pending.splice(0);
  record.attempts = [...record.attempts, ...calls];
  const added = filterCallsCostUsd(calls);
  if (added > 0) {
    record.costUsd += added;
    record.usageEstimated = true;
  }
  return added;
}

/** What the content filter's moderation calls among `attempts` cost (`lookup: 'content_filter'`). */
export function filterCallsCostUsd(attempts: readonly AttemptRecord[]): number {
  let sum = 0;
  for (const a of attempts) if (a.lookup === 'content_filter') sum += a.costUsd ?? 0;
  return sum;
}

/**
 * What a request's attempts that gave no answer were charged (`AttemptRecord.costUsd`); a lookup's
 * call is not one (its cost is the caller's `ExtraSpend`).
 */
export function attemptsCostUsd(attempts: readonly AttemptRecord[]): number {
  let sum = 0;
  for (const a of attempts) if (!a.lookup) sum += a.costUsd ?? 0;
  return sum;
}
