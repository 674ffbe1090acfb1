// Streaming output filter: checks the text of each choice as it flows, holding back only the last
// `holdBack` characters (the longest a rule can match) so a pattern split across chunks is still
// caught. Redactions are applied before text leaves; a block ends the stream with finish_reason
// `content_filter`. Claude's thinking pieces (`reasoning_details`) are filtered the same way, block
// by block (./content-filter-thinking.ts), as is an OpenAI-format server's reasoning text
// (`reasoning_content`, `reasoning`: each field held back as the answer is), and so are the
// arguments of each tool call it streams (held back per call, redacted, a block ending the
// stream). Chunks are the parsed ChatChunk objects (no SSE text is touched here).
import { reasoningDetailsOf } from '../core/reasoning-details.js';
import { reasoningTextKeys, type ReasoningTextKey } from '../core/reasoning-text.js';
import { chunkFields, type ChatChunk, type ReasoningDetail } from '../core/wire-types.js';
import { ThinkingStreamFilter, type ThinkingStep } from './content-filter-thinking.js';
import { annotateChoice, toAzureResults } from './filters/azure-results.js';
import type { FilterCategory, FilterHit } from './filters/filter-types.js';
import { applyRedactions, hitsOf, scanText, type CompiledRule } from './filters/pattern-filter.js';

/** One tool call's piece in a streamed delta. */
interface ToolCallDelta {
  index: number;
  function?: { arguments?: string };
}

export interface ScanStep {
  /** Text safe to send now (redacted). */
  emit: string;
  /** Text held back for the next chunk. */
  keep: string;
  hits: FilterHit[];
  blocked: boolean;
}

/** One step over a choice's unsent text. `final` = no more text will follow. */
export function scanStep(
  text: string,
  rules: readonly CompiledRule[],
  holdBack: number,
  final: boolean,
): ScanStep {
  const matches = scanText(text, rules);
  let boundary = final ? text.length : Math.max(0, text.length - holdBack);
  // A match reaching past the boundary might still grow (or be a prefix of a longer word): wait.
  for (let moved = true; moved && !final;) {
    moved = false;
    for (const m of matches) {
      if (m.end > boundary && m.start < boundary) {
        boundary = m.start;
        moved = true;
      }
    }
  }
  const confirmed = matches.filter((m) => m.end <= boundary);
  const block = confirmed.find((m) => m.rule.action === 'block');
  if (block) {
    const before = confirmed.filter((m) => m.end <= block.start);
    return {
      emit: applyRedactions(text.slice(0, block.start), before),
      keep: '',
      hits: hitsOf([...before, block], 'rules'),
      blocked: true,
    };
  }
  return {
    emit: applyRedactions(text.slice(0, boundary), confirmed),
    keep: text.slice(boundary),
    hits: hitsOf(confirmed, 'rules'),
    blocked: false,
  };
}

export async function* filterChatStream(
  chunks: AsyncIterable<ChatChunk>,
  rules: readonly CompiledRule[],
  holdBack: number,
): AsyncGenerator<ChatChunk> {
  const evaluated = [...new Set(rules.map((r) => r.category))] as FilterCategory[];
  const pending = new Map<number, string>();
  /** Tool-call argument text held back, by choice index, then by tool call index. */
  const pendingArgs = new Map<number, Map<number, string>>();
  const hits = new Map<number, Map<string, FilterHit>>();
  const results = (index: number) =>
    toAzureResults([{ hits: [...(hits.get(index)?.values() ?? [])], evaluated }]);
  const remember = (index: number, found: FilterHit[]) => {
    let m = hits.get(index);
    if (!m) hits.set(index, (m = new Map()));
    for (const h of found) m.set(`${h.ruleId}:${h.category}`, h);
  };
  const thinking = new Map<number, ThinkingStreamFilter>();
  const thinkingOf = (index: number) => {
    let t = thinking.get(index);
    if (!t) thinking.set(index, (t = new ThinkingStreamFilter(rules, holdBack)));
    return t;
  };
  /**
   * A delta's tool-call arguments through the rules, each call's text held back as a choice's is;
   * at the finish what is held goes out. True when a rule blocks.
   */
  const scanToolCalls = (
    index: number,
    delta: { tool_calls?: unknown },
    final: boolean,
  ): boolean => {
    const list = Array.isArray(delta.tool_calls) ? (delta.tool_calls as ToolCallDelta[]) : [];
    let held = pendingArgs.get(index);
    for (const call of list) {
      const args = call?.function?.arguments;
      if (typeof args !== 'string') continue;
      if (!held) pendingArgs.set(index, (held = new Map()));
      const step = scanStep((held.get(call.index) ?? '') + args, rules, holdBack, false);
      remember(index, step.hits);
      if (step.blocked) return true;
      held.set(call.index, step.keep);
      call.function!.arguments = step.emit;
    }
    if (!final || !held) return false;
    pendingArgs.delete(index);
    for (const [at, text] of held) {
      if (!text) continue;
      const step = scanStep(text, rules, 0, true);
      remember(index, step.hits);
      if (step.blocked) return true;
      const same = list.find((c) => c?.index === at && typeof c.function?.arguments === 'string');
      if (same) same.function!.arguments += step.emit;
      else list.push({ index: at, function: { arguments: step.emit } });
      delta.tool_calls = list;
    }
    return false;
  };
  /** Reasoning text held back, by choice index, then by field. */
  const pendingReasoning = new Map<number, Map<ReasoningTextKey, string>>();
  /**
   * A delta's reasoning text (`reasoning_content`, `reasoning`) through the rules, each field held
   * back as the answer's text is; `release` (the answer, a tool call or the finish follows) sends
   * what is held. True when a rule blocks.
   */
  const scanReasoning = (index: number, delta: object, release: boolean): boolean => {
    const fields = delta as Partial<Record<ReasoningTextKey, string>>;
    const keys = reasoningTextKeys(delta);
    let held = pendingReasoning.get(index);
    if (keys.length === 0 && (!held || !release)) return false;
    if (!held) pendingReasoning.set(index, (held = new Map()));
    for (const key of new Set([...keys, ...held.keys()])) {
      const text = (held.get(key) ?? '') + (fields[key] ?? '');
      const step = scanStep(text, rules, holdBack, release);
      remember(index, step.hits);
      if (step.blocked) return true;
      held.set(key, step.keep);
      if (keys.includes(key) || step.emit) fields[key] = step.emit;
    }
    if (release) pendingReasoning.delete(index);
    return false;
  };
  /** What was held back at the stream's end, in a chunk of its own: `delta`, or the cut. */
  const heldBackChunk = (template: ChatChunk, index: number, delta: object, blocked: boolean) =>
    ({
      ...template,
      choices: [
        {
          index,
          delta: blocked ? {} : delta,
          finish_reason: blocked ? 'content_filter' : null,
          logprobs: null,
          ...(blocked ? { content_filter_results: results(index) } : {}),
        },
      ],
      usage: null,
    }) as unknown as ChatChunk;
  /** A choice a rule blocked: no more of its text or tool calls, finished content_filter. */
  const cut = (
    choice: ChatChunk['choices'][number],
    delta: { content?: string | null; tool_calls?: unknown },
  ): true => {
    if (typeof delta.content === 'string') delta.content = '';
    for (const key of reasoningTextKeys(delta)) delete (delta as Record<string, unknown>)[key];
    delete delta.tool_calls;
    (choice as { finish_reason: string | null }).finish_reason = 'content_filter';
    annotateChoice(choice, results(choice.index));
    return true;
  };
  const iterator = chunks[Symbol.asyncIterator]();
  let last: ChatChunk | undefined;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      // A pass-through chunk is parsed here: a redacted chunk must not be written out as it came.
      const chunk = chunkFields(next.value);
      last = chunk;
      let blocked = false;
      for (const choice of chunk.choices ?? []) {
        // Thinking held back may have to go out with a finish that came without a delta.
        choice.delta ??= {} as ChatChunk['choices'][number]['delta'];
        const delta = choice.delta as {
          content?: string | null;
          reasoning_details?: ReasoningDetail[];
          tool_calls?: unknown;
        };
        const final = choice.finish_reason != null;
        const incoming = typeof delta.content === 'string' ? delta.content : '';
        // The thinking first (it comes before the text); whole once anything else follows.
        const details = reasoningDetailsOf(delta);
        if (details || thinking.has(choice.index)) {
          const t = thinkingOf(choice.index);
          const step: ThinkingStep = details
            ? t.add(details)
            : { pieces: [], hits: [], blocked: false };
          if (!step.blocked && (incoming || delta.tool_calls || final)) {
            const rest = t.flush();
            step.pieces.push(...rest.pieces);
            step.hits.push(...rest.hits);
            step.blocked = rest.blocked;
          }
          remember(choice.index, step.hits);
          if (step.pieces.length) delta.reasoning_details = step.pieces;
          else delete delta.reasoning_details;
          if (step.blocked) {
            blocked = cut(choice, delta);
            continue;
          }
        }
        // An OpenAI-format server's reasoning text, whole once anything else follows.
        if (scanReasoning(choice.index, delta, !!incoming || !!delta.tool_calls || final)) {
          blocked = cut(choice, delta);
          continue;
        }
        // The arguments of the tools the model calls are its answer too (security audit F1,
        // 2026-12-06: a streamed answer's were not read).
        if (scanToolCalls(choice.index, delta, final)) {
          blocked = cut(choice, delta);
          continue;
        }
        const held = pending.get(choice.index) ?? '';
        if (!incoming && !final) continue;
        const step = scanStep(held + incoming, rules, holdBack, final);
        remember(choice.index, step.hits);
        pending.set(choice.index, step.keep);
        if (typeof delta.content === 'string' || step.emit) delta.content = step.emit;
        if (step.blocked) {
          (choice as { finish_reason: string | null }).finish_reason = 'content_filter';
          blocked = true;
        }
        if (final || step.blocked) annotateChoice(choice, results(choice.index));
      }
      yield chunk;
      if (blocked) return;
    }
    // The upstream ended without finishing a choice: release what was held back.
    for (const [index, t] of thinking) {
      const step = t.flush();
      remember(index, step.hits);
      if (!last || (!step.pieces.length && !step.blocked)) continue;
      yield {
        ...last,
        choices: [
          {
            index,
            delta: { reasoning_details: step.pieces },
            finish_reason: step.blocked ? 'content_filter' : null,
            logprobs: null,
            ...(step.blocked ? { content_filter_results: results(index) } : {}),
          },
        ],
        usage: null,
      } as unknown as ChatChunk;
      if (step.blocked) return;
    }
    // Reasoning text still held back: out, in a chunk of its own.
    for (const index of [...pendingReasoning.keys()]) {
      if (!last) break;
      const delta: Record<string, unknown> = {};
      const blockedNow = scanReasoning(index, delta, true);
      if (!blockedNow && reasoningTextKeys(delta).every((k) => delta[k] === '')) continue;
      yield heldBackChunk(last, index, delta, blockedNow);
      if (blockedNow) return;
    }
    // Tool-call arguments still held back: out, in a chunk of their own.
    for (const index of [...pendingArgs.keys()]) {
      if (!last) break;
      const delta: { tool_calls?: unknown } = {};
      const blockedNow = scanToolCalls(index, delta, true);
      if (!blockedNow && !delta.tool_calls) continue;
      yield heldBackChunk(last, index, delta, blockedNow);
      if (blockedNow) return;
    }
    for (const [index, text] of pending) {
      if (!text || !last) continue;
      const step = scanStep(text, rules, 0, true);
      remember(index, step.hits);
      yield {
        ...last,
        choices: [
          {
            index,
            delta: { content: step.emit },
            finish_reason: step.blocked ? 'content_filter' : null,
            logprobs: null,
            ...(step.blocked ? { content_filter_results: results(index) } : {}),
          },
        ],
        usage: null,
      } as ChatChunk;
      if (step.blocked) return;
    }
  } finally {
    await iterator.return?.();
  }
}
