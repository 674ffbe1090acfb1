// The error when no deployment is left eligible for a request, in the API's shape: 429 when
// budgets or rate limits left none, 503 when open circuits did, else 400, listing every exclusion,
// and where the request's own fields or headers are what excluded them all, which one to change.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError } from '../core/errors.js';
import { requestedOutputTokens } from '../core/prompt-text.js';
import { describeImageFault, findImageFault } from '../files/inline-image.js';
import {
  describeExclusions,
  type CandidateEligibility,
  type DescribeExclusion,
  type EligibilityRule,
  type RequestNeeds,
} from '../routing/eligibility.js';
import type { ChatCall } from './gateway-types.js';
import { headerValue, REGIONS_HEADER, ZONE_HEADER } from './request-target.js';
import { NoHeadroom } from './wait-for-headroom.js';
import { NOT_RETRYABLE } from '../policy/budget.js';

/** `noEligibleDeployment` for these candidates, with `zoneHint`'s words where they apply. */
export function noEligibleFor(
  call: ChatCall,
  candidates: readonly DeploymentConfig[],
  checks: CandidateEligibility[],
  name = candidates[0]?.name ?? '',
  describe?: DescribeExclusion,
  size?: RequestSize,
): GatewayError {
  return noEligibleDeployment(
    checks,
    name,
    zoneHint(call, candidates, checks) ??
      outputHint(call, candidates, checks) ??
      (size && contextHint(call, candidates, checks, size)) ??
      imageHint(call, checks) ??
      providerHint(checks),
    describe,
    PROMPT_PARAM[call.endpoint] ?? 'messages',
  );
}

/** The field holding the prompt as each API names it, for a prompt past every context window. */
const PROMPT_PARAM: Partial<Record<ChatCall['endpoint'], string>> = {
  completions: 'prompt',
  decisions: 'input',
  responses: 'input',
  'responses.compact': 'input',
};

/** What the request could change to be served: in words, the field, and a code of its own. */
interface Hint {
  text: string;
  param: string;
  code?: string;
}

/** The `provider` field (OpenRouter's preferences) behind each rule it adds. */
const PROVIDER_PARAMS: [EligibilityRule, string, string][] = [
  ['provider_only', 'provider.only', 'name one of them or leave it out'],
  ['provider_ignore', 'provider.ignore', 'leave one of them out of it'],
  [
    'data_collection',
    'provider.data_collection',
    'the operator declares it per deployment (dataPolicy.noTraining), or send "allow"',
  ],
  [
    'zdr',
    'provider.zdr',
    'the operator declares it per deployment (dataPolicy.zeroRetention), or leave it out',
  ],
];

/** Where one of the request's provider preferences excluded every candidate: that field. */
function providerHint(
  checks: readonly CandidateEligibility[],
): { text: string; param: string } | undefined {
  for (const [rule, param, fix] of PROVIDER_PARAMS)
    if (checks.length > 0 && checks.every((c) => c.failed.includes(rule)))
      return { text: `the request's ${param} leaves none of them: ${fix}`, param };
  return undefined;
}

/**
 * Where an inline image no candidate reads (rule `image_type`; `vision` for those that read none)
 * is what left no deployment: that image, as the client sent it, and what it is instead. Coded as
 * OpenAI codes an image it cannot read (`invalid_image_format`).
 */
function imageHint(call: ChatCall, checks: readonly CandidateEligibility[]): Hint | undefined {
  if (
    !checks.some((c) => c.failed.includes('image_type')) ||
    !checks.every((c) => c.failed.includes('image_type') || c.failed.includes('vision'))
  )
    return undefined;
  const fault = findImageFault(call.request);
  return (
    fault && { text: describeImageFault(fault), param: fault.param, code: 'invalid_image_format' }
  );
}

/** The output-limit field as each API names it, for errors that tell the caller what to change. */
const OUTPUT_LIMIT_PARAM: Partial<Record<ChatCall['endpoint'], string>> = {
  messages: 'max_tokens',
  responses: 'max_output_tokens',
};

/**
 * Where the requested output limit is what left no deployment: the limit asked and the most the
 * candidates write. Clients often send a guess: the Vercel AI SDK's Anthropic provider sends
 * 128000 for a `claude-…` name it does not know, 4096 for any other.
 */
function outputHint(
  call: ChatCall,
  candidates: readonly DeploymentConfig[],
  checks: readonly CandidateEligibility[],
): { text: string; param: string } | undefined {
  if (checks.length === 0 || !checks.every((c) => c.failed.includes('max_output_tokens')))
    return undefined;
  const most = Math.max(...candidates.map((d) => d.maxOutputTokens ?? 0));
  const param =
    OUTPUT_LIMIT_PARAM[call.endpoint] ??
    (call.request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens');
  return {
    text: `the request's ${param} is ${requestedOutputTokens(call.request)}, and these deployments write at most ${most} tokens: ask for ${most} or fewer`,
    param,
  };
}

/** The router's count of the prompt's tokens and the output it asks room for. */
type RequestSize = Pick<RequestNeeds, 'promptTokens' | 'outputTokens'>;

/**
 * Where the prompt (with the output asked for) is past every candidate's context window: the
 * count, the largest window and how much to cut, as OpenAI's own error gives the numbers. It says
 * "maximum context length" as OpenAI's text does: clients find an overflow by those words, not the
 * code (LangChain's ContextOverflowError, which its summarisation and trimming recover from).
 */
function contextHint(
  call: ChatCall,
  candidates: readonly DeploymentConfig[],
  checks: readonly CandidateEligibility[],
  size: RequestSize,
): Hint | undefined {
  if (checks.length === 0 || !checks.every((c) => c.failed.includes('context_window')))
    return undefined;
  const window = Math.max(...candidates.map((d) => d.contextWindow));
  const { promptTokens: prompt, outputTokens: output } = size;
  // Past every window, so at least one token over the largest.
  const over = prompt + output - window;
  const param = PROMPT_PARAM[call.endpoint] ?? 'messages';
  const asked = output > 0 ? ` and asks for ${output} tokens of output` : '';
  const fewer = output > over ? `, or ask for ${output - over} output tokens or fewer` : '';
  return {
    text: `the prompt is about ${prompt} tokens${asked}, past the maximum context length of every deployment; the largest context window here is ${window} tokens: shorten the prompt by at least ${over} tokens${fewer}`,
    param,
    code: 'context_length_exceeded',
  };
}

/**
 * Where the request's own zone or regions headers are what left no deployment: which header, and
 * what the candidates offer, so the caller knows what to send instead.
 */
function zoneHint(
  call: ChatCall,
  candidates: readonly DeploymentConfig[],
  checks: readonly CandidateEligibility[],
): { text: string; param: string } | undefined {
  const failedAll = (rule: EligibilityRule) =>
    checks.length > 0 && checks.every((c) => c.failed.includes(rule));
  const list = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => !!v))].sort().join(', ') || 'none set';
  const zone = headerValue(call, ZONE_HEADER)?.trim();
  if (zone && failedAll('data_zone'))
    return {
      text: `the request's ${ZONE_HEADER} is "${zone}", and these deployments are in data zones ${list(candidates.map((d) => d.dataZone))}`,
      param: ZONE_HEADER,
    };
  const regions = headerValue(call, REGIONS_HEADER)?.trim();
  if (regions && failedAll('region'))
    return {
      text: `the request's ${REGIONS_HEADER} is "${regions}", and these deployments are in regions ${list(candidates.map((d) => d.region))}`,
      param: REGIONS_HEADER,
    };
  return undefined;
}

/**
 * The error when no deployment is left: 429 when rate limits (with open circuits) left none, 503
 * when open circuits alone did, else 400 (`context_length_exceeded` when only the size rules and
 * limits failed, `no_eligible_deployment` otherwise), listing every exclusion.
 */
function noEligibleDeployment(
  checks: CandidateEligibility[],
  name: string,
  hint?: Hint,
  describe?: DescribeExclusion,
  promptParam = 'messages',
): GatewayError {
  const rules = new Set(checks.flatMap((c) => c.failed));
  const detail = describeExclusions(checks, describe) + (hint ? `; ${hint.text}` : '');
  // The key's own modelSubset leaves it none: a permission, as a key without the scope gets (and
  // embeddings' named models), not the client's malformed request.
  if (checks.length > 0 && checks.every((c) => c.failed.includes('key_scope')))
    return new GatewayError({
      status: 403,
      type: 'permission_error',
      code: 'permission_denied',
      message: `This API key may not use any deployment "${name}" would serve from (the key's modelSubset): ${detail}`,
      details: { exclusions: checks },
    });
  // Spent budgets, with limits or open circuits at most: nothing to retry before a reset.
  if (
    rules.has('budget_exhausted') &&
    [...rules].every(
      (r) =>
        r === 'budget_exhausted' ||
        r === 'rate_limit' ||
        r === 'circuit_open' ||
        r === 'cooling_down',
    )
  )
    return new GatewayError({
      status: 429,
      type: 'insufficient_quota',
      code: 'budget_exceeded',
      message: `No deployment of "${name}" is within its spend budget: ${detail}`,
      headers: { ...NOT_RETRYABLE },
      details: { exclusions: checks },
    });
  const onlyLimits = [...rules].every(
    (r) => r === 'rate_limit' || r === 'circuit_open' || r === 'cooling_down',
  );
  if (onlyLimits && (rules.has('rate_limit') || rules.has('cooling_down'))) {
    // Those a request that may wait waits for: out of headroom, not behind an open circuit.
    const limited = checks
      .filter((c) => c.failed.every((r) => r === 'rate_limit' || r === 'cooling_down'))
      .map((c) => c.deployment);
    return new NoHeadroom(
      new GatewayError({
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        message: `No deployment of "${name}" has rate-limit headroom: ${detail}`,
        headers: { 'retry-after': '1' },
        details: { exclusions: checks },
      }),
      limited,
      false,
    );
  }
  if (onlyLimits) {
    return new GatewayError({
      status: 503,
      type: 'server_error',
      code: 'no_healthy_deployment',
      message: `No healthy deployment of "${name}" is available right now: ${detail}`,
      headers: { 'retry-after': '5' },
      details: { exclusions: checks },
    });
  }
  const contextOnly = [...rules].every(
    (r) =>
      r === 'context_window' ||
      r === 'max_output_tokens' ||
      r === 'circuit_open' ||
      r === 'rate_limit' ||
      r === 'cooling_down',
  );
  return new GatewayError({
    status: 400,
    type: 'invalid_request_error',
    code: hint?.code ?? (contextOnly ? 'context_length_exceeded' : 'no_eligible_deployment'),
    param: hint?.param ?? (contextOnly ? promptParam : null),
    message: `No deployment of "${name}" can serve this request: ${detail}`,
    details: { exclusions: checks },
  });
}
