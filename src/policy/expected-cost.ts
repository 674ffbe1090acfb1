// What a request is expected to cost, judged at admission for its budget reservations
// (governance-policies.ts): from what admission already knows, with no tokenising of its own. The
// prompt at the most expensive candidate's prices, and an answer as long as the request allows
// (`max_completion_tokens` / `max_tokens`, within the deployment's `maxOutputTokens`) or, with no
// bound, as long as the deployment's usual answer (`expectedOutputTokens`, else 300 tokens), times
// the `n` answers asked for. Conservative on purpose: the reservation only holds room while the
// request runs, and its real cost replaces it when it ends. Embeddings, moderations and rerank
// answer with no tokens to pay for: their input at the dearest input price (rerank's search
// units too, by Cohere's rule). Images and audio bring their own judge (AdmitContext
// `expectedCostUsd`: gateway/expected-media-cost.ts).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { requestedOutputTokens } from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { inputCostUsd } from '../gateway/cost.js';
import type { AdmitContext } from '../gateway/gateway-types.js';
import type { Endpoint } from '../store/request-record.js';
import { rerankCostUsd, searchUnits } from '../gateway/rerank-cost.js';
import { answersAskedFor, declaredOutputTokens } from '../routing/output-token-stats.js';

/** An answer's length when neither the request nor the deployment says (the router's own prior). */
export const TYPICAL_ANSWER_TOKENS = 300;

/** USD the request may cost on the dearest of `candidates` (0 with none). */
export function expectedCostUsd(
  request: ChatRequest,
  promptTokens: number,
  candidates: readonly DeploymentConfig[],
): number {
  const cap = requestedOutputTokens(request);
  const n = answersAskedFor(request);
  let most = 0;
  for (const d of candidates) {
    const bound = cap > 0 ? Math.min(cap, d.maxOutputTokens ?? cap) : undefined;
    const answer = (bound ?? declaredOutputTokens(d) ?? TYPICAL_ANSWER_TOKENS) * n;
    const cost = (promptTokens * d.prices.inputPer1M + answer * d.prices.outputPer1M) / 1e6;
    if (cost > most) most = cost;
  }
  return Number.isFinite(most) ? most : 0;
}

/**
 * USD an embeddings, moderations or rerank request may cost on the dearest of `candidates`: its
 * `promptTokens` at the input price, and a rerank's search units (the gateways hand the query and
 * documents to admission as user messages, the query first).
 */
export function expectedInputCostUsd(
  endpoint: 'embeddings' | 'moderations' | 'rerank',
  request: ChatRequest,
  promptTokens: number,
  candidates: readonly DeploymentConfig[],
): number {
  let units = 0;
  if (endpoint === 'rerank') {
    const [query = '', ...documents] = request.messages.map((m) =>
      typeof m.content === 'string' ? m.content : '',
    );
    units = searchUnits(query, documents);
  }
  let most = 0;
  for (const d of candidates) {
    const cost = units > 0 ? rerankCostUsd(d, units, promptTokens) : inputCostUsd(d, promptTokens);
    if (cost > most) most = cost;
  }
  return Number.isFinite(most) ? most : 0;
}

/**
 * The endpoints whose chat-shaped requests reserve their expected cost on their budgets at
 * admission: those the chat gateway serves, and embeddings, moderations and rerank, every way out
 * of which settles (a reservation never released holds the budget until it lapses,
 * `budgets.reservationTtlSeconds`). Images and audio reserve by their gateway's judge. Realtime
 * reserves nothing: a response's input is the whole conversation the upstream holds (audio the
 * router relays but does not count) and its output is unbounded unless the client sets
 * `max_output_tokens`, so any bound would be a guess; it is checked against spend and others'
 * reservations and charged when it ends.
 */
const RESERVING: ReadonlySet<Endpoint> = new Set<Endpoint>([
  'chat',
  'completions',
  'decisions',
  'responses',
  'responses.compact',
  'messages',
  'embeddings',
  'moderations',
  'rerank',
]);

/**
 * What admission reserves for the request: its expected cost on its target's dearest deployment,
 * or undefined for a request that reserves nothing.
 */
export function admissionCostUsd(
  ctx: AdmitContext,
  deployments: ReadonlyMap<string, DeploymentConfig>,
): number | undefined {
  const endpoint = ctx.call.endpoint;
  const judge = ctx.expectedCostUsd;
  if (!judge && !RESERVING.has(endpoint)) return undefined;
  const candidates: DeploymentConfig[] = [];
  if (ctx.target.kind === 'deployment') candidates.push(ctx.target.deployment);
  else
    for (const name of ctx.target.kind === 'router'
      ? ctx.target.router.modelSubset
      : ctx.target.pool.deployments) {
      const d = deployments.get(name);
      if (d) candidates.push(d);
    }
  if (judge) {
    const most = candidates.reduce((m, d) => Math.max(m, judge(d)), 0);
    return Number.isFinite(most) ? most : 0;
  }
  if (endpoint === 'embeddings' || endpoint === 'moderations' || endpoint === 'rerank')
    return expectedInputCostUsd(endpoint, ctx.call.request, ctx.promptTokens, candidates);
  return expectedCostUsd(ctx.call.request, ctx.promptTokens, candidates);
}
