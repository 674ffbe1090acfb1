// `compare`'s graded answers as routing data (scored.jsonl, the shared line format that `eval
// --model`, `calibrate` and `calibrate-bands` read): one row per prompt with a quality for at least
// one plain target, each scored under the name `--score-as` gives it, else the routing model its
// deployment is `like:`, else its own (scoreNames). Router runs are left out: they are picks among
// models, not models.
import { PromptFileError, type ComparePrompt } from './compare-inputs.js';
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

/**
 * The rows for `result`'s prompts; `routers` are the targets that route (left out); `names` the
 * name a target is scored under where not its own (scoreNames: one name per target).
 */
export function compareScoredRows(
  result: CompareResult,
  prompts: readonly ComparePrompt[],
  routers: ReadonlySet<string>,
  names: ReadonlyMap<string, string> = new Map(),
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
      const name = names.get(r.target) ?? r.target;
      scores[name] = r.quality!;
      if (r.cost_usd !== undefined) cost[name] = r.cost_usd;
      chars[name] = r.answer_chars;
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

/**
 * The names scored.jsonl gives targets' scores: `--score-as target=model,…` first; else, for a
 * deployment the endpoint says is `like:` a routing model (`likes`, from its `/v1/models`), that
 * model's name, so the file scores the models the artefact knows; else the target's own. Where
 * two targets would share a `like:` name, both keep their own (`shared` lists them, to say so);
 * `--score-as` names that collide are refused.
 */
export function scoreNames(
  value: string | undefined,
  targets: readonly string[],
  likes: ReadonlyMap<string, string> = new Map(),
): { names: Map<string, string>; fromLike: Map<string, string>; shared: string[] } {
  const explicit = new Map<string, string>();
  for (const pair of (value ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const [target, model] = [pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()];
    if (eq < 0 || !target || !model)
      throw new PromptFileError(
        `--score-as: "${pair}" is not target=model (e.g. gpt-4.1=llama-3.1-nemotron-51b-instruct)`,
      );
    if (!targets.includes(target))
      throw new PromptFileError(
        `--score-as: "${target}" is not one of --targets (${targets.join(', ')})`,
      );
    explicit.set(target, model);
  }
  const clash = (names: ReadonlyMap<string, string>): [string, string, string] | undefined => {
    const seen = new Map<string, string>();
    for (const t of targets) {
      const name = names.get(t) ?? t;
      const other = seen.get(name);
      if (other !== undefined) return [other, t, name];
      seen.set(name, t);
    }
    return undefined;
  };
  const refused = clash(explicit);
  if (refused)
    throw new PromptFileError(
      `--score-as: ${refused[0]} and ${refused[1]} would both be scored as "${refused[2]}"; scored.jsonl has one score per model and prompt`,
    );
  // A `like:` name is taken only where no other target ends up with the same name; dropping one
  // can make its own name clash with another's `like:`, so this runs until nothing changes.
  const fromLike = new Map(
    targets.flatMap((t) => {
      const like = likes.get(t);
      return !explicit.has(t) && like && like !== t ? [[t, like] as const] : [];
    }),
  );
  const shared: string[] = [];
  for (let c = clash(new Map([...fromLike, ...explicit])); c;) {
    const dropped = [c[0], c[1]].filter((t) => fromLike.delete(t));
    shared.push(...dropped);
    c = clash(new Map([...fromLike, ...explicit]));
  }
  return { names: new Map([...fromLike, ...explicit]), fromLike, shared };
}
