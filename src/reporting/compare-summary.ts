// One run of `model-router compare` in figures: requests, errors, cost, latency and TTFT
// percentiles, tokens, quality where graded, and what served.
import { percentile } from '../store/summary-rules.js';
import type { CompareRow, CompareTarget } from './compare-run.js';

export interface RunSummary {
  run: string;
  target: string;
  mode?: string;
  requests: number;
  ok: number;
  error_rate: number;
  cost_usd: number;
  /** Requests whose cost is known (a price was found for what served). */
  cost_known: number;
  mean_cost_usd: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
  mean_prompt_tokens: number | null;
  mean_completion_tokens: number | null;
  quality: number | null;
  graded: number;
  served: Record<string, number>;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const pctl = (xs: number[], p: number) =>
  xs.length
    ? percentile(
        [...xs].sort((a, b) => a - b),
        p,
      )
    : null;

/** The figures of target `t`'s run among `rows`. */
export function summarizeRun(t: CompareTarget, rows: CompareRow[]): RunSummary {
  const mine = rows.filter((r) => r.run === t.label);
  const ok = mine.filter((r) => r.ok);
  const costed = ok.filter((r) => r.cost_usd !== undefined);
  const graded = ok.filter((r) => r.quality !== undefined);
  const served: Record<string, number> = {};
  for (const r of ok) {
    const k = r.served_model ?? r.deployment ?? '(unknown)';
    served[k] = (served[k] ?? 0) + 1;
  }
  return {
    run: t.label,
    target: t.target,
    ...(t.mode ? { mode: t.mode } : {}),
    requests: mine.length,
    ok: ok.length,
    error_rate: mine.length ? (mine.length - ok.length) / mine.length : 0,
    cost_usd: costed.reduce((a, r) => a + r.cost_usd!, 0),
    cost_known: costed.length,
    mean_cost_usd: mean(costed.map((r) => r.cost_usd!)),
    latency_p50_ms: pctl(
      ok.map((r) => r.latency_ms),
      50,
    ),
    latency_p95_ms: pctl(
      ok.map((r) => r.latency_ms),
      95,
    ),
    ttft_p50_ms: pctl(
      ok.filter((r) => r.ttft_ms !== undefined).map((r) => r.ttft_ms!),
      50,
    ),
    ttft_p95_ms: pctl(
      ok.filter((r) => r.ttft_ms !== undefined).map((r) => r.ttft_ms!),
      95,
    ),
    mean_prompt_tokens: mean(
      ok.filter((r) => r.prompt_tokens !== undefined).map((r) => r.prompt_tokens!),
    ),
    mean_completion_tokens: mean(
      ok.filter((r) => r.completion_tokens !== undefined).map((r) => r.completion_tokens!),
    ),
    quality: mean(graded.map((r) => r.quality!)),
    graded: graded.length,
    served,
  };
}
