// Placeholder policy used when no routing artefact is loaded: the cheapest eligible deployment,
// then the rest by price. It predicts no quality (0.5 for all) and says so in its reason.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { webSearchOptions } from '../core/web-search.js';
import { declaredOutputTokens, expectedAnswerTokens } from './output-token-stats.js';
import type { CandidateScore, RouteInput, Router, RoutingDecision } from './router-types.js';

const ASSUMED_OUTPUT_TOKENS = 300;

function costOf(
  d: DeploymentConfig,
  promptTokens: number,
  outputTokens: number,
  searches: number,
): number {
  return (
    (promptTokens * d.prices.inputPer1M + outputTokens * d.prices.outputPer1M) / 1e6 +
    searches * (d.prices.perWebSearch ?? 0)
  );
}

export function createCheapestCapableRouter(): Router {
  return {
    decide(input: RouteInput): RoutingDecision {
      // A web search is priced apart (prices.perWebSearch): one a request.
      const searches = webSearchOptions(input.request) ? 1 : 0;
      const scores: CandidateScore[] = input.candidates.map((d) => {
        const prior = declaredOutputTokens(d) ?? ASSUMED_OUTPUT_TOKENS;
        const usual = input.outputTokens?.expected(d.name, prior) ?? prior;
        const out = expectedAnswerTokens(input.request, usual).tokens;
        return {
          deployment: d.name,
          predictedQuality: 0.5,
          expectedOutputTokens: out,
          predictedCostUsd: costOf(d, input.promptTokens, out, searches),
        };
      });
      const ordered = [...scores]
        .sort(
          (a, b) =>
            a.predictedCostUsd - b.predictedCostUsd || a.deployment.localeCompare(b.deployment),
        )
        .map((s) => s.deployment);
      const top = [...scores].sort((a, b) => b.predictedCostUsd - a.predictedCostUsd)[0];
      return {
        mode: input.mode,
        version: 'cheapest-capable',
        band: 0,
        ordered,
        scores,
        reason: `placeholder policy "cheapest capable model": ${ordered[0]} is the cheapest eligible deployment (no routing model loaded)`,
        topDeployment: top?.deployment ?? ordered[0] ?? '',
      };
    },
  };
}
