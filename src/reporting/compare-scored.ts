// `compare`'s graded answers as routing data (scored.jsonl, the shared line format that `eval
// --model`, `calibrate` and `calibrate-bands` read): one row per prompt with a quality for at least
// one plain target, each model scored under the target's name. Router runs are left out: they
// are picks among models, not models.
import type { ComparePrompt } from './compare-inputs.js';
import type { CompareResult } from './compare-run.js';

export interface CompareScoredRow {
  id: string;
  source: string;
  prompt: string;
  /** The prompt had more than one user turn, or an assistant turn (its texts are joined). */
  multi_turn: boolean;
  scores: Record<string, number>;
  cost_usd?: Record<string, number>;
  out_chars: Record<string, number>;
  meta: { compare: string; category?: string };
}

/** The rows for `result`'s prompts; `routers` are the targets that route (left out). */
export function compareScoredRows(
  result: CompareResult,
  prompts: readonly ComparePrompt[],
  routers: ReadonlySet<string>,
): CompareScoredRow[] {
  const byPrompt = new Map<string, CompareResult['rows']>();
  for (const r of result.rows) {
    if (r.mode_asked !== undefined || routers.has(r.target) || !r.ok || r.quality === undefined)
      continue;
    let list = byPrompt.get(r.prompt_id);
    if (!list) byPrompt.set(r.prompt_id, (list = []));
    list.push(r);
  }
  const out: CompareScoredRow[] = [];
  for (const p of prompts) {
    const list = byPrompt.get(p.id);
    if (!list) continue;
    const scores: Record<string, number> = {};
    const cost: Record<string, number> = {};
    const chars: Record<string, number> = {};
    for (const r of list) {
      scores[r.target] = r.quality!;
      if (r.cost_usd !== undefined) cost[r.target] = r.cost_usd;
      chars[r.target] = r.answer_chars;
    }
    const turns = p.messages.filter((m) => m.role === 'user' || m.role === 'assistant');
    out.push({
      id: p.id,
      source: p.source ?? 'compare',
      // As the router reads a request: every message's text, in order.
      prompt: p.messages.map((m) => m.content).join('\n\n'),
      multi_turn: turns.filter((m) => m.role === 'user').length > 1 || turns.length > 1,
      scores,
      ...(Object.keys(cost).length ? { cost_usd: cost } : {}),
      out_chars: chars,
      meta: { compare: result.endpoint, ...(p.category ? { category: p.category } : {}) },
    });
  }
  return out;
}
