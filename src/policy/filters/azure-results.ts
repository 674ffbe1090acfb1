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
