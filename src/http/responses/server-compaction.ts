// Server-side compaction on `POST /v1/responses` (OpenAI's compaction guide, "Server-side
// compaction"): with `context_management: [{type: "compaction", compact_threshold}]`, a turn
// whose context (its input and what `previous_response_id` or `conversation` brings) is over the
// threshold is compacted first, by the same pass as `POST /v1/responses/compact`, and then served
// on the compacted context: the user's messages and the summary. A `compaction_trigger` as the
// last input item compacts whatever the size, and the response is the compaction alone. Either
// way the response's first output item is the router's `compaction` item (compaction-item.ts),
// and the turn stores the compacted context, which the turns that continue it carry. Then, with
// `truncation: "auto"`, what the model reads is cut to fit (responses-truncation.ts).
import type { FastifyReply } from 'fastify';
import type { RuntimeConfig } from '../../config/runtime-config.js';
import { countPromptTokens } from '../../core/prompt-text.js';
import type { ChatChunk, ChatMessage, ChatResponse } from '../../core/wire-types.js';
import type { Attribution } from '../../gateway/attribution.js';
import type { ChatGateway } from '../../gateway/chat-gateway.js';
import { targetMembers, type ChatCall, type ChatOutcome } from '../../gateway/gateway-types.js';
import { resolveTarget } from '../../gateway/request-target.js';
import { isObject } from '../../core/is-object.js';
import { callGateway, type GatewayCaller } from '../routes/chat-routes.js';
import { compactionItem, SUMMARY_HEADING } from './compaction-item.js';
import { summarizeConversation, userMessagesOf } from './responses-compact.js';
import { compactTurn, type PreparedResponse } from './responses-run.js';
import { truncateToFit, warnTruncated } from './responses-truncation.js';

/** Without `compact_threshold`: this share of the smallest context window the model may use. */
const DEFAULT_THRESHOLD_SHARE = 0.8;

type TurnOptions = Parameters<typeof callGateway>[4] & { attribution: Attribution };

/**
 * The compaction threshold a (checked) request sets: a number of tokens, `null` for the default,
 * or undefined when it asks for no compaction. More than one entry: the lowest threshold.
 */
export function compactThresholdOf(body: Record<string, unknown>): number | null | undefined {
  if (!Array.isArray(body.context_management)) return undefined;
  let threshold: number | null | undefined;
  for (const entry of body.context_management) {
    if (!isObject(entry) || entry.type !== 'compaction') continue;
    const t = entry.compact_threshold;
    if (typeof t === 'number')
      threshold = typeof threshold === 'number' ? Math.min(threshold, t) : t;
    else threshold ??= null;
  }
  return threshold;
}

/**
 * Runs a Responses turn through the gateway, compacting it first when its request asks for that
 * (`compaction_trigger`, or `context_management` with the context over its threshold). A
 * `compaction_trigger`'s outcome is the compaction pass's own, with no answer: the response's
 * output is the compaction item alone, its usage the pass's.
 */
export async function runResponseTurn(
  gateway: ChatGateway,
  config: RuntimeConfig,
  request: GatewayCaller,
  /** Absent for a WebSocket turn: then `opts.signal` aborts it. */
  reply: FastifyReply | undefined,
  p: PreparedResponse,
  opts: TurnOptions,
): Promise<ChatOutcome> {
  if (p.compactNow || (await overThreshold(config, request, p))) {
    const { summary, outcome } = await summarizeConversation(gateway, request, reply, p, {
      attribution: opts.attribution,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const served = outcome.response.model;
    const compacted: ChatMessage[] = [
      ...userMessagesOf(p.history),
      { role: 'user', content: `${SUMMARY_HEADING}\n\n${summary}` },
    ];
    compactTurn(p, compacted, compactionItem(summary, served, Math.floor(p.ctx.createdAt / 1000)));
    if (p.compactNow) return compactionOutcome(outcome, p.body.stream === true);
  }
  // `truncation: "auto"`: the bridged request leaves out what does not fit (responses-truncation.ts).
  const truncated = await truncateToFit(config, p, request);
  // A native upstream gets the request as it is now (compacted or not; never truncated by us).
  const outcome = await callGateway(
    gateway,
    request,
    reply,
    truncated?.chat ?? p.chat,
    opts.native ? { ...opts, native: p.native } : opts,
  );
  return truncated ? warnTruncated(config, outcome, truncated) : outcome;
}

/** Whether `p` asks for compaction over a threshold and its context (the router's count) is over. */
async function overThreshold(
  config: RuntimeConfig,
  request: GatewayCaller,
  p: PreparedResponse,
): Promise<boolean> {
  const set = compactThresholdOf(p.body);
  if (set === undefined) return false;
  const threshold = set ?? defaultThreshold(config, p);
  if (threshold === undefined) return false;
  return (await countPromptTokens(p.chat, request.auth.keyId ?? '')) > threshold;
}

/** The default threshold: a share of the smallest context window of the deployments the request's
 * model may be served by (undefined when it names none; the gateway's 404 says so). */
function defaultThreshold(config: RuntimeConfig, p: PreparedResponse): number | undefined {
  let target;
  try {
    target = resolveTarget(config, { request: p.chat } as ChatCall);
  } catch {
    return undefined;
  }
  const windows = targetMembers(target).flatMap((name) => {
    const d = config.deployments.get(name);
    return d ? [d.contextWindow] : [];
  });
  return windows.length ? Math.floor(Math.min(...windows) * DEFAULT_THRESHOLD_SHARE) : undefined;
}

/** The compaction pass's outcome as a turn's with no answer (a stream for a streamed request). */
function compactionOutcome(
  outcome: Extract<ChatOutcome, { kind: 'json' }>,
  stream: boolean,
): ChatOutcome {
  const r = outcome.response;
  const noAnswer = { role: 'assistant' as const, content: null, refusal: null };
  if (!stream)
    return {
      kind: 'json',
      headers: outcome.headers,
      response: {
        ...r,
        choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: noAnswer }],
      } as ChatResponse,
    };
  const chunk = (choices: unknown[], usage?: ChatResponse['usage']): ChatChunk =>
    ({
      id: r.id,
      object: 'chat.completion.chunk',
      created: r.created,
      model: r.model,
      choices,
      ...(usage ? { usage } : {}),
    }) as ChatChunk;
  async function* chunks(): AsyncGenerator<ChatChunk> {
    yield chunk([{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }]);
    if (r.usage) yield chunk([], r.usage);
  }
  return { kind: 'stream', headers: outcome.headers, chunks: chunks() };
}
