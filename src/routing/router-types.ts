// The router contract: scoring kept apart from deciding (RouteLLM). A decision is synchronous and
// costs microseconds; every decision carries its reasons (STYLE.md principle 8).
import type { OutputTokenStats } from './output-token-stats.js';
import type { RouterConfig, RoutingMode } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';

export interface CandidateScore {
  deployment: string;
  /** Predicted quality in [0, 1] for this prompt. */
  predictedQuality: number;
  expectedOutputTokens: number;
  /** prices × (prompt tokens + expected output tokens), USD. */
  predictedCostUsd: number;
}

export interface RouteInput {
  request: ChatRequest;
  router: RouterConfig;
  mode: RoutingMode;
  /** Deployments that passed eligibility, in the router's subset. */
  candidates: DeploymentConfig[];
  promptTokens: number;
  /** What each deployment has really been writing; expected output tokens lean on it. */
  outputTokens?: OutputTokenStats;
}

export interface RoutingDecision {
  mode: RoutingMode;
  /** Artefact version that scored the candidates. */
  version: string;
  /** Quality band used: candidates within `band × best` qualify for the cheap pick. */
  band: number;
  /** Deployment names: the pick first, then fallbacks in routing-mode order. */
  ordered: string[];
  scores: CandidateScore[];
  /** Plain-words reason for the pick. */
  reason: string;
  /** The deployment with the highest predicted quality: the savings baseline. */
  topDeployment: string;
}

export interface Router {
  decide(input: RouteInput): RoutingDecision;
  /**
   * What an operator should know about how a router's subset maps onto the routing model:
   * deployments it does not know, `like:` names it lacks, subsets spread over data groups whose
   * qualities are not on one scale. Empty when all is well (or the router predicts nothing).
   */
  describeSubset?(router: RouterConfig, deployments: readonly DeploymentConfig[]): string[];
}
