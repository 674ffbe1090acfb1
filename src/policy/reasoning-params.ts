// Parameters a reasoning model cannot take (CONTRACTS.md §2.5; Foundry model router docs): adapt
// the request instead of letting the upstream answer 400, and report every change to the client
// in `x-router-warnings`.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { MAX_STOP_SEQUENCES } from '../core/matched-stop.js';
import { nearestEffort } from '../core/reasoning-effort.js';
import { extensibleCopy } from '../core/extensible-copy.js';
import { isObject } from '../core/is-object.js';
import {
  ANTHROPIC_BETA_FIELD,
  ANTHROPIC_CLIENT_FIELD,
  CONTEXT_MANAGEMENT_FIELD,
  HOSTED_TOOLS_FIELD,
  OPENROUTER_FIELDS,
  REASONING_EXCLUDE_FIELD,
  ADAPTIVE_THINKING_FIELD,
  EFFORT_FIELD,
  THINKING_BUDGET_FIELD,
  WEB_SEARCH_TOOL_FIELD,
  type ChatRequest,
  type ReasoningDetail,
} from '../core/wire-types.js';
import { isSignedThinking } from '../core/reasoning-details.js';
import { isHostedWebSearch } from '../core/web-search.js';
import { jsonOutputTool } from '../providers/anthropic/anthropic-convert.js';
import {
  ANTHROPIC_EFFORT,
  thinkingBudget,
  usesAdaptiveThinking,
  usesThinking,
} from '../providers/anthropic/anthropic-thinking.js';
import { returnsLogprobs } from '../routing/eligibility.js';
import { adaptTierAndVerbosity } from './tier-and-verbosity.js';
import { adaptClaudeParams } from './claude-only-params.js';

const DROPPED_FOR_REASONING = [
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
] as const;
const IGNORED_FOR_REASONING = ['temperature', 'top_p'] as const;

export interface AdaptedRequest {
  body: ChatRequest;
  warnings: string[];
}

/**
 * Returns the body to send to `deployment` (model set to its upstream name) and warnings for
 * every parameter dropped or changed. The client's object is never mutated.
 */
export function adaptRequestForDeployment(
  request: ChatRequest,
  deployment: DeploymentConfig,
): AdaptedRequest {
  // Keys may be added to the copy below (stream_options, max_completion_tokens): not a spread.
  const body = extensibleCopy(request);
  body.model = deployment.model;
  const warnings: string[] = [];
  // Router controls are ours (Foundry preview); upstreams would reject the unknown field.
  delete body.routing_config;
  // OpenRouter's routing fields are the router's (src/gateway/provider-preferences.ts,
  // model-fallbacks.ts, max-price.ts); an OpenAI upstream answers 400 to any of them.
  for (const field of OPENROUTER_FIELDS)
    if (field in body) delete (body as Record<string, unknown>)[field];
  // Responses bridge: the conversation is already expanded into messages; upstream chat would reject it.
  delete body.previous_response_id;
  // An Anthropic client's exact thinking budget is for an Anthropic deployment's conversion only.
  // So is its adaptive thinking: other reasoning models get the reasoning_effort set beside it.
  // And its `anthropic-beta` header: Anthropic's betas mean nothing to another API. Nor does the
  // mark of an Anthropic client (only Claude's reply has fields to keep for it).
  if (deployment.provider !== 'anthropic') {
    delete body[THINKING_BUDGET_FIELD];
    delete body[ADAPTIVE_THINKING_FIELD];
    delete body[ANTHROPIC_BETA_FIELD];
    delete body[ANTHROPIC_CLIENT_FIELD];
  }
  // An Anthropic client's effort (`output_config.effort`): a reasoning model's `reasoning_effort`
  // (the same levels, and the one knob it has, so it wins over the one a thinking budget implied).
  // Anthropic deployments get it as Anthropic's own field (anthropicWarnings).
  const effort = body[EFFORT_FIELD];
  if (deployment.provider !== 'anthropic' && effort !== undefined) {
    delete body[EFFORT_FIELD];
    if (deployment.capabilities.reasoning) {
      // OpenAI's "max" (openapi.yaml `ReasoningEffort`) only where the operator lists it: most
      // reasoning models refuse it; otherwise the highest level every reasoning model takes.
      const max = deployment.capabilities.reasoningEfforts?.includes('max') === true;
      body.reasoning_effort = (
        effort === 'max' && !max ? 'high' : effort
      ) as ChatRequest['reasoning_effort'];
      if (effort === 'max' && !max)
        warnings.push(
          `output_config.effort max sent as reasoning_effort high: ${deployment.name} has no "max" level`,
        );
    } else
      warnings.push(`output_config.effort dropped: ${deployment.name} is not a reasoning model`);
  }
  // Streams always ask for usage so cost is known; the gateway drops that chunk when the client
  // did not ask for it.
  if (body.stream === true)
    body.stream_options = Object.assign(
      body.stream_options ? extensibleCopy(body.stream_options) : {},
      { include_usage: true },
    );
  // OpenAI's reasoning models refuse sampling parameters and stop sequences. Claude does not: it
  // takes them without extended thinking, and stop sequences with it too; what thinking rules out,
  // the Anthropic conversion leaves out and anthropicWarnings says.
  if (deployment.capabilities.reasoning) {
    if (deployment.provider !== 'anthropic') openAIReasoningParams(body, deployment, warnings);
  } else if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
    // `none` asked for no reasoning, which is what a model without it does: nothing to say.
    if (body.reasoning_effort !== 'none')
      warnings.push(`reasoning_effort dropped: ${deployment.name} is not a reasoning model`);
    delete body.reasoning_effort;
  }
  if (deployment.provider === 'anthropic') anthropicWarnings(body, deployment, warnings);
  adaptTierAndVerbosity(body, deployment, warnings);
  adaptClaudeParams(body, deployment, warnings);
  // Hosted tools reach a deployment that speaks the Responses API natively in the client's own
  // request (the OpenAI adapter sends that); the bridge to chat has nothing to run them with.
  // Applied to the answer (gateway/exclude-reasoning.ts), never sent.
  delete body[REASONING_EXCLUDE_FIELD];
  // Claude searches with Anthropic's web search tool, where the operator says it may.
  const searchesWithTool = deployment.provider === 'anthropic' && deployment.capabilities.webSearch;
  const hosted = body[HOSTED_TOOLS_FIELD];
  if (hosted !== undefined) {
    delete body[HOSTED_TOOLS_FIELD];
    // The hosted web search reaches such a Claude as its web search tool (WEB_SEARCH_TOOL_FIELD).
    // A forced one is the need to search (`web_search_options`), which the deployment serves.
    const searched = searchesWithTool || body.web_search_options !== undefined;
    const dropped = (hosted as string[]).filter((t) => !(searched && isHostedWebSearch(t)));
    if (dropped.length && !takesResponsesNatively(deployment))
      warnings.push(
        `hosted tools dropped (${dropped.join(', ')}): ${deployment.name} serves the Responses API through Chat Completions, which cannot run them`,
      );
  }
  // Anthropic's context editing is Anthropic's to do: elsewhere the model sees every turn.
  if (
    body[CONTEXT_MANAGEMENT_FIELD] !== undefined &&
    !(deployment.provider === 'anthropic' && deployment.capabilities.contextManagement)
  ) {
    warnings.push(
      `context_management dropped: ${deployment.name} does not take Anthropic's context editing (capabilities.contextManagement); the whole conversation was sent`,
    );
    delete body[CONTEXT_MANAGEMENT_FIELD];
  }
  // An Anthropic client's web search tool: Claude gets it whole; elsewhere `web_search_options`
  // (set beside it) asks for the search, and what it cannot say is named.
  // (The Responses API's hosted web search sets the tool alone: dropped elsewhere, with the warning
  // above.)
  const searchTool = body[WEB_SEARCH_TOOL_FIELD];
  if (searchTool !== undefined && !searchesWithTool) {
    delete body[WEB_SEARCH_TOOL_FIELD];
    const tool = isObject(searchTool) && isObject(searchTool.tool) ? searchTool.tool : {};
    for (const key of ['max_uses', 'allowed_domains', 'blocked_domains'])
      if (tool[key] != null && body.web_search_options !== undefined)
        warnings.push(
          `web search ${key} not applied: ${deployment.name} searches with OpenAI's web_search_options, which has none`,
        );
  }
  // top_k (from Anthropic clients) is not an OpenAI parameter: OpenAI and Azure would refuse it.
  if ((deployment.provider === 'openai' || deployment.provider === 'azure') && body.top_k != null) {
    warnings.push(`top_k dropped: OpenAI's API (${deployment.name}) has no such parameter`);
    delete body.top_k;
  }
  // Azure's user_security_context (AIFoundryOpenAI.json `userSecurityContext`: who the app and
  // its user are, for Microsoft Defender for Cloud) from Azure clients: OpenAI would refuse it.
  if (deployment.provider === 'openai' && body.user_security_context != null) {
    warnings.push(
      `user_security_context dropped: it is Azure OpenAI's, and OpenAI's API (${deployment.name}) has no such parameter`,
    );
    delete body.user_security_context;
  }
  // So do more than four stop sequences, which only an Anthropic client's `stop_sequences` brings
  // (chat and completions refuse them at the door): the first four are sent, and the warning says
  // the rest were not.
  if (
    (deployment.provider === 'openai' || deployment.provider === 'azure') &&
    Array.isArray(body.stop) &&
    body.stop.length > MAX_STOP_SEQUENCES
  ) {
    warnings.push(
      `stop sequences after the first ${MAX_STOP_SEQUENCES} dropped (${body.stop.length - MAX_STOP_SEQUENCES}): OpenAI's API (${deployment.name}) takes at most ${MAX_STOP_SEQUENCES}`,
    );
    body.stop = body.stop.slice(0, MAX_STOP_SEQUENCES);
  }
  return { body, warnings };
}

/**
 * What an OpenAI-style reasoning model (o-series, GPT-5, a simulated one) refuses: sampling
 * parameters, stop sequences, penalties and logprobs; `max_tokens` goes as `max_completion_tokens`.
 */
function openAIReasoningParams(
  body: ChatRequest,
  deployment: DeploymentConfig,
  warnings: string[],
): void {
  for (const key of IGNORED_FOR_REASONING) {
    if (body[key] !== undefined && body[key] !== null) {
      if (body[key] !== 1) warnings.push(`${key} ignored: ${deployment.name} is a reasoning model`);
      delete body[key];
    }
  }
  for (const key of DROPPED_FOR_REASONING) {
    // Eligibility sends logprobs only where the operator says they come back.
    if ((key === 'logprobs' || key === 'top_logprobs') && returnsLogprobs(deployment)) continue;
    if (body[key] !== undefined && body[key] !== null) {
      warnings.push(`${key} dropped: not supported by reasoning model ${deployment.name}`);
      delete body[key];
    }
  }
  if (body.max_tokens !== undefined && body.max_tokens !== null) {
    if (body.max_completion_tokens === undefined || body.max_completion_tokens === null) {
      body.max_completion_tokens = body.max_tokens;
    }
    delete body.max_tokens;
    warnings.push('max_tokens mapped to max_completion_tokens');
  }
  effortItTakes(body, deployment, warnings);
}

/** Chat parameters Anthropic's Messages API has no counterpart for (the conversion leaves them out). */
const NOT_IN_ANTHROPIC = ['seed', 'presence_penalty', 'frequency_penalty', 'logit_bias'] as const;

/**
 * `reasoning_effort` at a level the deployment lacks (`capabilities.reasoningEfforts`) as the
 * nearest level it has, said in a warning.
 */
function effortItTakes(body: ChatRequest, deployment: DeploymentConfig, warnings: string[]) {
  const levels = deployment.capabilities.reasoningEfforts;
  const asked = body.reasoning_effort;
  if (!levels || typeof asked !== 'string') return;
  const sent = nearestEffort(levels, asked);
  if (sent === asked) return;
  body.reasoning_effort = sent as ChatRequest['reasoning_effort'];
  warnings.push(
    `reasoning_effort ${asked} sent as ${sent}: ${deployment.name} takes ${levels.join(', ')}`,
  );
}

/**
 * What the Anthropic conversion (src/providers/anthropic/anthropic-convert.ts) cannot keep of a
 * chat request, said rather than dropped silently. (`logprobs` and `n` > 1 never get here:
 * eligibility keeps such requests away from Anthropic deployments.)
 */
function anthropicWarnings(body: ChatRequest, deployment: DeploymentConfig, warnings: string[]) {
  // A chat or Responses client's reasoning_effort is Anthropic's effort too, where the model takes
  // it (not an Anthropic client's thinking: it said what effort it wanted, or none). Set before a
  // conflict turns thinking off: effort works without thinking.
  const fromClaudeClient =
    body[THINKING_BUDGET_FIELD] !== undefined || body[ADAPTIVE_THINKING_FIELD] !== undefined;
  if (
    deployment.capabilities.effort &&
    body[EFFORT_FIELD] === undefined &&
    !fromClaudeClient &&
    typeof body.reasoning_effort === 'string' &&
    ANTHROPIC_EFFORT[body.reasoning_effort] !== undefined
  )
    body[EFFORT_FIELD] = ANTHROPIC_EFFORT[body.reasoning_effort];
  if (body[EFFORT_FIELD] !== undefined && !deployment.capabilities.effort) {
    warnings.push(
      `output_config.effort dropped: ${deployment.name} does not take Anthropic's effort parameter (capabilities.effort)`,
    );
    delete body[EFFORT_FIELD];
  }
  if (usesThinking(body, deployment)) {
    const why = thinkingConflict(body, deployment);
    if (why) {
      warnings.push(`reasoning_effort dropped: ${why} (${deployment.name})`);
      delete body.reasoning_effort;
    }
  }
  if (
    body[ADAPTIVE_THINKING_FIELD] === true &&
    usesThinking(body, deployment) &&
    !usesAdaptiveThinking(body, deployment)
  )
    warnings.push(
      `thinking.type adaptive sent as enabled thinking with budget_tokens ${thinkingBudget(body, deployment).budget}: ${deployment.name} does not take adaptive thinking (capabilities.adaptiveThinking)`,
    );
  // Anthropic refuses two tools of one name ("tools: Tool names must be unique."), which OpenAI
  // serves and agents send (a built-in tool and an MCP server's of the same name): the first
  // definition of each name is sent, as a client routed to OpenAI would have it work.
  const names = new Set<string>();
  const repeated: string[] = [];
  const tools = body.tools?.filter((t) => {
    if (t.type !== 'function') return true;
    if (!names.has(t.function.name)) return names.add(t.function.name);
    repeated.push(t.function.name);
    return false;
  });
  if (repeated.length) {
    body.tools = tools;
    warnings.push(
      `tools: ${repeated.length} later definition${repeated.length > 1 ? 's' : ''} of ${[...new Set(repeated)].join(', ')} left out: Anthropic's API (${deployment.name}) takes one tool per name, so the first of each is sent`,
    );
  }
  for (const key of NOT_IN_ANTHROPIC)
    if (body[key] !== undefined && body[key] !== null)
      warnings.push(`${key} dropped: Anthropic's API (${deployment.name}) has no such parameter`);
  if (usesThinking(body, deployment))
    for (const key of ['temperature', 'top_p', 'top_k'] as const)
      // temperature and top_p at 1 are the default already: nothing is lost.
      if (typeof body[key] === 'number' && (key === 'top_k' || body[key] !== 1))
        warnings.push(
          `${key} ignored: Claude's extended thinking takes the default sampling (${deployment.name})`,
        );
  if (
    typeof body.temperature === 'number' &&
    body.temperature > 1 &&
    !usesThinking(body, deployment)
  )
    warnings.push(
      `temperature ${body.temperature} sent as 1: Anthropic's range is 0–1 (${deployment.name})`,
    );
}

/**
 * Why Claude's extended thinking cannot be turned on for this request, which Anthropic would
 * refuse with a 400 (docs: "Extended thinking", tool use): a forced tool (`tool_choice` required or
 * named, and JSON output where the conversion asks for it with a forced tool: not where the
 * deployment takes native structured outputs), or a tool loop whose last tool call came without
 * Claude's signed thinking (served by another model, or by a client that dropped it). Served
 * without thinking instead, and said so.
 */
function thinkingConflict(body: ChatRequest, deployment: DeploymentConfig): string | undefined {
  const tc: unknown = body.tool_choice;
  if (
    tc === 'required' ||
    (isObject(tc) && (tc.type === 'function' || tc.type === 'custom' || tc.mode === 'required'))
  )
    return "Anthropic's extended thinking does not work with a forced tool_choice";
  if (jsonOutputTool(body, deployment))
    return "Anthropic's extended thinking does not work with JSON output (sent as a forced tool)";
  const messages = body.messages;
  let i = messages.length - 1;
  if (messages[i]?.role !== 'tool') return undefined;
  while (i >= 0 && messages[i]!.role === 'tool') i--;
  const call = messages[i] as
    { role: string; tool_calls?: unknown[]; reasoning_details?: ReasoningDetail[] } | undefined;
  if (call?.role !== 'assistant' || !call.tool_calls?.length) return undefined;
  // Every block of it signed: one changed by the output filter cannot go back.
  const claudes = (call.reasoning_details ?? []).filter((d) => d.provider === 'anthropic');
  if (claudes.length && claudes.every(isSignedThinking)) return undefined;
  return "the tool call being answered came without Claude's thinking, which Anthropic needs back to think in a tool loop";
}

/** Whether the OpenAI adapter sends this deployment a Responses request as the client wrote it. */
function takesResponsesNatively(deployment: DeploymentConfig): boolean {
  const openAIFormat =
    deployment.provider === 'openai' ||
    deployment.provider === 'azure' ||
    deployment.provider === 'openai-compatible';
  return openAIFormat && deployment.capabilities.responsesApi;
}
