// The one eligibility check (issue 5): decides which deployments may serve a request. Applied to
// the pick and to every fallback; each exclusion names the rule so errors and receipts can say why.
import type { RouterConfig } from '../config/schema.js';
import { COMMON_IMAGE_TYPES_ONLY_PROVIDERS } from '../config/deployment-kinds.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { claudeParamsOf } from '../core/wire-types.js';
import { findImageFault, type ImageFault } from '../files/inline-image.js';
import { requestFiles, requestHasImages, requestedOutputTokens } from '../core/prompt-text.js';
import { webSearchOptions } from '../core/web-search.js';

export type EligibilityRule =
  | 'model_subset'
  | 'circuit_open'
  | 'context_window'
  | 'max_output_tokens'
  | 'tools'
  | 'openai_tools'
  | 'json_schema'
  | 'vision'
  | 'image_type'
  | 'files'
  | 'streaming'
  | 'reasoning'
  | 'logprobs'
  | 'choices'
  | 'web_search'
  | 'data_sources'
  | 'inference_geo'
  | 'data_zone'
  | 'region'
  | 'rate_limit'
  | 'cooling_down'
  | 'budget_exhausted'
  | 'max_price'
  | 'provider_only'
  | 'provider_ignore'
  | 'data_collection'
  | 'zdr'
  | 'key_scope';

export const RULE_DESCRIPTIONS: Record<EligibilityRule, string> = {
  model_subset: 'not in the router model subset (or the key narrowed it out)',
  circuit_open: 'unhealthy: its circuit breaker is open after recent failures',
  context_window: 'prompt plus requested output does not fit its context window',
  max_output_tokens: 'requested output exceeds its max output tokens',
  tools: 'does not support tools',
  openai_tools: "the legacy functions parameter is OpenAI's: Anthropic's API has none",
  json_schema: 'does not support JSON schema output',
  vision: 'does not accept images',
  image_type:
    'reads only PNG, JPEG, GIF and WebP images, and an inline image of the request is none of them',
  files:
    "does not read file parts (PDFs; capabilities.files), or the file_id names a file uploaded to another provider (the router's own files are sent inline)",
  streaming: 'does not support streaming',
  reasoning: 'does not accept reasoning parameters',
  logprobs: 'does not return logprobs',
  choices: 'answers one choice a request, and n > 1 was asked',
  web_search:
    'does not search the web (capabilities.webSearch), and the request asks with web_search_options',
  data_sources:
    "does not take Azure OpenAI's On Your Data (capabilities.dataSources), and the request sends data_sources",
  inference_geo:
    "not Claude (which Anthropic holds to the request's inference_geo) nor in that data zone",
  data_zone: 'outside the allowed data zone',
  region: 'outside the allowed regions',
  rate_limit: 'no rate-limit headroom',
  cooling_down: 'its upstream answered 429 and asked to wait (retry-after); skipped until then',
  key_scope: 'the API key may not use it',
  max_price:
    "its price per 1M tokens is above the request's max_price (x-router-max-price, provider.max_price)",
  budget_exhausted:
    "its own spend budget (deployments[].budget) is used up until the day's or month's reset",
  provider_only: "not named in the request's provider.only (by deployment name or provider kind)",
  provider_ignore: "named in the request's provider.ignore (by deployment name or provider kind)",
  data_collection:
    'the request asks provider.data_collection "deny", and the deployment does not declare dataPolicy.noTraining (or zeroRetention)',
  zdr: 'the request asks provider.zdr, and the deployment does not declare dataPolicy.zeroRetention',
};

/** What a request needs; computed once per request, then checked against each deployment. */
export interface RequestNeeds {
  promptTokens: number;
  outputTokens: number;
  tools: boolean;
  /**
   * The legacy `functions`: OpenAI-format upstreams only. (Custom tools go anywhere: bridged to
   * function tools where the upstream has none, src/gateway/custom-tool-bridge.ts.)
   */
  openaiTools: boolean;
  jsonSchema: boolean;
  images: boolean;
  /** The first inline image whose bytes are not PNG, JPEG, GIF or WebP (inline-image.ts). */
  imageFault?: ImageFault;
  /** `file` content parts: inline (`data`), or naming an uploaded file (`id`). */
  files: 'none' | 'data' | 'id';
  stream: boolean;
  reasoning: boolean;
  /** `logprobs` or `top_logprobs` asked for. */
  logprobs: boolean;
  /** `n` > 1. */
  choices: boolean;
  /** `web_search_options` sent: only deployments that search (`capabilities.webSearch`). */
  webSearch: boolean;
  /** Azure's `data_sources` (On Your Data) sent: only deployments that take it. */
  dataSources: boolean;
  /**
   * An Anthropic client's `inference_geo` (e.g. `us`): Claude deployments, whose upstream infers
   * there, and others whose `dataZone` is that geo; `global` (Anthropic's: anywhere) is any.
   */
  inferenceGeo?: string;
  /** Allowed data zone (router zone, possibly narrowed by header); undefined = any. */
  dataZone?: string;
  /** Allowed regions (from header); undefined = any. */
  regions?: ReadonlySet<string>;
  /** The highest prices the request accepts, USD per 1M tokens (OpenRouter's `max_price`). */
  maxPrice?: MaxPrice;
  /** OpenRouter's provider preferences that narrow eligibility (src/gateway/provider-preferences.ts). */
  providers?: ProviderNarrowing;
}

/** Deployments a request's `provider` object names or demands; absent: no narrowing. */
export interface ProviderNarrowing {
  /** Only these (deployment names or provider kinds). */
  only?: readonly string[];
  /** None of these. */
  ignore?: readonly string[];
  /** Only deployments that declare no training on prompts (`data_collection: "deny"`). */
  noTraining?: boolean;
  /** Only deployments that declare zero data retention (`zdr: true`). */
  zeroRetention?: boolean;
}

/**
 * A deployment named in a request's provider list: by its name, or by its provider kind
 * (`openai`, `azure`, …, case-insensitive), as OpenRouter names its providers.
 */
export function namedIn(names: readonly string[], d: DeploymentConfig): boolean {
  return names.some((n) => n === d.name || n.toLowerCase() === d.provider);
}

/** Price ceilings of a request, USD per 1M prompt or completion tokens; absent: no ceiling. */
export interface MaxPrice {
  prompt?: number;
  completion?: number;
}

export function requestNeeds(
  request: ChatRequest,
  promptTokens: number,
  zone: {
    dataZone?: string;
    regions?: ReadonlySet<string>;
    maxPrice?: MaxPrice;
    providers?: ProviderNarrowing;
  } = {},
): RequestNeeds {
  const rf = request.response_format as { type?: string } | undefined;
  const functions = (request as { functions?: unknown }).functions;
  const legacyFunctions = Array.isArray(functions) && functions.length > 0;
  const images = requestHasImages(request);
  const imageFault = findImageFault(request);
  const geo = claudeParamsOf(request)?.inference_geo;
  return {
    promptTokens,
    outputTokens: requestedOutputTokens(request),
    tools: (Array.isArray(request.tools) && request.tools.length > 0) || legacyFunctions,
    openaiTools: legacyFunctions,
    jsonSchema: rf?.type === 'json_schema',
    images,
    ...(imageFault ? { imageFault } : {}),
    files: requestFiles(request),
    stream: request.stream === true,
    // `none` asks for no reasoning: any model can serve it.
    reasoning:
      request.reasoning_effort !== undefined &&
      request.reasoning_effort !== null &&
      request.reasoning_effort !== 'none',
    logprobs:
      request.logprobs === true ||
      (typeof request.top_logprobs === 'number' && request.top_logprobs > 0),
    choices: typeof request.n === 'number' && request.n > 1,
    webSearch: webSearchOptions(request) !== undefined,
    dataSources: request.data_sources != null,
    ...(typeof geo === 'string' && geo !== 'global' ? { inferenceGeo: geo } : {}),
    dataZone: zone.dataZone,
    regions: zone.regions,
    ...(zone.maxPrice ? { maxPrice: zone.maxPrice } : {}),
    ...(zone.providers ? { providers: zone.providers } : {}),
  };
}

/** `capabilities.logprobs`, or by default: not Anthropic (no logprobs) nor a reasoning model. */
export function returnsLogprobs(d: DeploymentConfig): boolean {
  return d.capabilities.logprobs ?? (d.provider !== 'anthropic' && !d.capabilities.reasoning);
}

/**
 * `capabilities.files`, or by default: a vision model that is not a generic OpenAI-compatible
 * server (OpenAI, Azure OpenAI and Claude read PDFs; vLLM-style servers do not). A file named by
 * `file_id` lives at one provider: only OpenAI and Azure deployments (and the simulated fleet). A
 * file uploaded to the router is inline by the time this runs (resolve-chat-files.ts): `data`.
 */
export function readsFiles(d: DeploymentConfig, files: 'data' | 'id'): boolean {
  const reads =
    d.capabilities.files ?? (d.capabilities.vision && d.provider !== 'openai-compatible');
  return reads && (files === 'data' || d.provider !== 'anthropic');
}

/**
 * `capabilities.customTools`, or by default: OpenAI, Azure and the simulated fleet. Never an
 * Anthropic deployment (its API has no custom tools). Elsewhere they are bridged to function tools.
 */
export function takesCustomTools(d: DeploymentConfig): boolean {
  if (d.provider === 'anthropic') return false;
  return d.capabilities.customTools ?? d.provider !== 'openai-compatible';
}

/**
 * `capabilities.dataSources`, or by default: Azure deployments, whose API has On Your Data
 * (`data_sources`, AIFoundryOpenAI.json `createChatCompletionRequest`); no other API has it.
 */
export function takesDataSources(d: DeploymentConfig): boolean {
  return d.capabilities.dataSources ?? d.provider === 'azure';
}

/** `capabilities.choices`, or by default: not Anthropic (one answer a request). */
export function answersChoices(d: DeploymentConfig): boolean {
  return d.capabilities.choices ?? d.provider !== 'anthropic';
}

export interface EligibilityProbes {
  circuitAllows(deployment: string): boolean;
  /** Its upstream answered 429 with a retry-after that has not passed. */
  coolingDown?(deployment: string): boolean;
  /** Rate-limit headroom for this deployment at this many tokens. */
  hasHeadroom?(deployment: DeploymentConfig, tokens: number): boolean;
  /** Key scope and key-level subset narrowing. */
  keyAllows?(deployment: string): boolean;
  /** Its own spend budget is not used up. */
  withinBudget?(deployment: DeploymentConfig): boolean;
}

export interface CandidateEligibility {
  deployment: string;
  failed: EligibilityRule[];
}

/** Rules a deployment fails for these needs; empty = eligible. */
export function checkDeployment(
  d: DeploymentConfig,
  needs: RequestNeeds,
  probes: EligibilityProbes,
): EligibilityRule[] {
  const failed: EligibilityRule[] = [];
  if (probes.keyAllows && !probes.keyAllows(d.name)) failed.push('key_scope');
  if (needs.dataZone !== undefined && d.dataZone !== needs.dataZone) failed.push('data_zone');
  if (needs.regions !== undefined && !needs.regions.has(d.region)) failed.push('region');
  if (needs.promptTokens + needs.outputTokens > d.contextWindow) failed.push('context_window');
  if (needs.outputTokens > (d.maxOutputTokens ?? 0)) failed.push('max_output_tokens');
  if (needs.tools && !d.capabilities.tools) failed.push('tools');
  if (needs.openaiTools && d.provider === 'anthropic') failed.push('openai_tools');
  if (needs.jsonSchema && !d.capabilities.jsonSchema) failed.push('json_schema');
  if (needs.images && !d.capabilities.vision) failed.push('vision');
  else if (needs.imageFault && COMMON_IMAGE_TYPES_ONLY_PROVIDERS.includes(d.provider))
    failed.push('image_type');
  if (needs.files !== 'none' && !readsFiles(d, needs.files)) failed.push('files');
  if (needs.stream && !d.capabilities.streaming) failed.push('streaming');
  if (needs.reasoning && !d.capabilities.reasoning) failed.push('reasoning');
  if (needs.logprobs && !returnsLogprobs(d)) failed.push('logprobs');
  if (needs.choices && !answersChoices(d)) failed.push('choices');
  if (needs.webSearch && !d.capabilities.webSearch) failed.push('web_search');
  if (needs.dataSources && !takesDataSources(d)) failed.push('data_sources');
  if (needs.inferenceGeo && d.provider !== 'anthropic' && d.dataZone !== needs.inferenceGeo)
    failed.push('inference_geo');
  if (
    needs.maxPrice &&
    ((needs.maxPrice.prompt !== undefined && d.prices.inputPer1M > needs.maxPrice.prompt) ||
      (needs.maxPrice.completion !== undefined && d.prices.outputPer1M > needs.maxPrice.completion))
  )
    failed.push('max_price');
  const p = needs.providers;
  if (p) {
    if (p.only && !namedIn(p.only, d)) failed.push('provider_only');
    if (p.ignore && namedIn(p.ignore, d)) failed.push('provider_ignore');
    const policy = d.dataPolicy;
    if (p.noTraining && !policy.noTraining && !policy.zeroRetention) failed.push('data_collection');
    if (p.zeroRetention && !policy.zeroRetention) failed.push('zdr');
  }
  if (!probes.circuitAllows(d.name)) failed.push('circuit_open');
  if (probes.coolingDown?.(d.name)) failed.push('cooling_down');
  if (probes.hasHeadroom && !probes.hasHeadroom(d, needs.promptTokens + needs.outputTokens))
    failed.push('rate_limit');
  if (d.budget && probes.withinBudget && !probes.withinBudget(d)) failed.push('budget_exhausted');
  return failed;
}

export interface EligibilityResult {
  eligible: DeploymentConfig[];
  checks: CandidateEligibility[];
}

/** Checks every deployment of a router's subset (or a single concrete deployment). */
export function checkEligibility(
  deployments: DeploymentConfig[],
  needs: RequestNeeds,
  probes: EligibilityProbes,
): EligibilityResult {
  const eligible: DeploymentConfig[] = [];
  const checks: CandidateEligibility[] = [];
  for (const d of deployments) {
    const failed = checkDeployment(d, needs, probes);
    checks.push({ deployment: d.name, failed });
    if (failed.length === 0) eligible.push(d);
  }
  return { eligible, checks };
}

/** Effective context window of a router: the smallest in its subset (Foundry reports it so). */
export function effectiveContextWindow(
  router: Pick<RouterConfig, 'modelSubset'>,
  deployments: ReadonlyMap<string, DeploymentConfig>,
): number {
  let min = Infinity;
  for (const name of router.modelSubset) {
    const d = deployments.get(name);
    if (d && d.contextWindow < min) min = d.contextWindow;
  }
  return Number.isFinite(min) ? min : 0;
}

/**
 * `circuit_open` of a circuit that is half-open: its one probe is in flight, so it is skipped
 * until that probe ends (it is not open any more).
 */
export const CIRCUIT_HALF_OPEN_DESCRIPTION =
  'unhealthy: its circuit breaker is half-open after recent failures, with its one probe request in flight; it takes requests again once that probe succeeds';

/** Says why one deployment fails one rule now, where the rule's own description is not precise. */
export type DescribeExclusion = (deployment: string, rule: EligibilityRule) => string | undefined;

/** One sentence per excluded deployment, for the error a request nothing can serve gets. */
export function describeExclusions(
  checks: CandidateEligibility[],
  describe?: DescribeExclusion,
): string {
  return checks
    .filter((c) => c.failed.length > 0)
    .map(
      (c) =>
        `${c.deployment}: ${c.failed.map((r) => `${r} (${describe?.(c.deployment, r) ?? RULE_DESCRIPTIONS[r]})`).join(', ')}`,
    )
    .join('; ');
}
