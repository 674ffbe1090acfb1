// Azure's `content_filter_results` object (CONTRACTS.md §1.5) from plug-in verdicts. Only
// categories a plug-in actually evaluated are reported: we never claim "safe" for an unchecked one.
import type { FilterCategory, InputVerdict, OutputVerdict } from './filter-types.js';

export type AzureFilterResults = Record<string, unknown>;

const SEVERITY = new Set<FilterCategory>(['hate', 'sexual', 'violence', 'self_harm']);

export function toAzureResults(
  verdicts: readonly (InputVerdict | OutputVerdict)[],
): AzureFilterResults {
  const out: AzureFilterResults = {};
  const hits = verdicts.flatMap((v) => v.hits);
  const evaluated = new Set(verdicts.flatMap((v) => v.evaluated));
  for (const category of evaluated) {
    const mine = hits.filter((h) => h.category === category);
    if (SEVERITY.has(category)) {
      const blocked = mine.some((h) => h.action === 'block');
      out[category] = { filtered: blocked, severity: mine[0]?.severity ?? 'safe' };
    } else if (category === 'custom_blocklists') {
      out[category] = {
        filtered: mine.some((h) => h.action === 'block'),
        details: mine.map((h) => ({
          filtered: h.action === 'block',
          id: h.ruleId,
          ...(h.action === 'redact' ? { redacted: true } : {}),
        })),
      };
    } else {
      out[category] = {
        filtered: mine.some((h) => h.action === 'block'),
        detected: mine.length > 0,
        ...(mine.some((h) => h.action === 'redact') ? { redacted: true } : {}),
      };
    }
  }
  const error = verdicts.find((v) => v.error)?.error;
  if (error) out.error = error;
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An upstream's `content_filter_results` (an Azure deployment's own categories) with the router's
 * added: a category both report keeps whichever filtered (the upstream's when both did), so an
 * answer Azure cut is never reported as passing. The router's replaced them until 2026-12-05.
 */
export function mergeAzureResults(upstream: unknown, ours: AzureFilterResults): AzureFilterResults {
  if (!isRecord(upstream)) return ours;
  const out: AzureFilterResults = { ...upstream };
  for (const [category, mine] of Object.entries(ours)) {
    const theirs = upstream[category];
    const theirsFiltered = isRecord(theirs) && theirs.filtered === true;
    const mineFiltered = isRecord(mine) && mine.filtered === true;
    if (!(theirsFiltered && !mineFiltered)) out[category] = mine;
  }
  return out;
}

/** Adds the router's results to a choice's `content_filter_results` (mergeAzureResults). */
export function annotateChoice(choice: object, ours: AzureFilterResults): void {
  const annotated = choice as Record<string, unknown>;
  annotated.content_filter_results = mergeAzureResults(annotated.content_filter_results, ours);
}

/**
 * An upstream's `prompt_filter_results` with the router's merged into the entry of the same
 * `prompt_index` (the router's alone when the upstream sent none).
 */
export function mergePromptResults(upstream: unknown, ours: readonly unknown[]): unknown[] {
  if (!Array.isArray(upstream)) return [...ours];
  const out = upstream.map((entry) => {
    const mine = ours.find(
      (o) => isRecord(o) && isRecord(entry) && o.prompt_index === entry.prompt_index,
    );
    if (!isRecord(entry) || !isRecord(mine)) return entry;
    return {
      ...entry,
      content_filter_results: mergeAzureResults(
        entry.content_filter_results,
        (mine.content_filter_results ?? {}) as AzureFilterResults,
      ),
    };
  });
  for (const o of ours)
    if (!out.some((e) => isRecord(e) && isRecord(o) && e.prompt_index === o.prompt_index))
      out.push(o);
  return out;
}
