// An Anthropic client's Claude-only request fields (CLAUDE_PARAMS_FIELD: `speed`, `diagnostics`,
// `container`, `inference_geo`, `fallbacks`, `compaction`; @anthropic-ai/sdk 1.13
// `MessageCreateParams`, the beta's `fallbacks` and `compaction`). A Claude deployment gets those
// that change how Claude serves as sent (anthropic-convert.ts); before any other upstream they are
// removed and each one that changes the answer is named in a warning. `inference_geo` never gets
// this far on another upstream outside its zone: eligibility holds it to that data zone.
// `diagnostics` and `compaction` are answered in the reply (a `diagnostics` object, a signed
// `compaction` block) that the router's conversion through chat does not carry back: no upstream
// gets them, and the warning says so (a Claude that compacted would have its block lost, and the
// SDK's tool runner, finding no block, keeps its conversation as it is either way).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ChatRequest } from '../core/wire-types.js';
import { CLAUDE_PARAMS_FIELD, claudeParamsOf } from '../core/wire-types.js';

/** What each field's absence means elsewhere, for the warning (the field's name leads it). */
const DROPPED: Record<string, (name: string) => string> = {
  speed: (d) => `${d} has no fast mode; it answered at its own speed`,
  diagnostics: (d) => `${d} is not Claude and reports no prompt-cache diagnostics`,
  container: (d) => `${d} runs no Anthropic code-execution container (nor its skills)`,
  fallbacks: (d) =>
    `${d} is not Claude, whose model fallbacks they are; the router's own fallback list applied`,
  compaction: (d) =>
    `${d} cannot make Anthropic's signed compaction block; it answered the conversation instead (the SDK's tool runner keeps the conversation as it is)`,
};

/** Fields whose answer is in the reply, which the router does not carry back from Claude. */
const NOT_CARRIED: Record<string, string> = {
  diagnostics: "Claude's prompt-cache diagnostics are not carried back through the router",
  compaction:
    "Anthropic's signed compaction block is not carried back through the router; the conversation was answered instead (the SDK's tool runner keeps the conversation as it is)",
};

/**
 * Removes the Claude-only fields from `body` for a deployment that is not Claude, with a warning
 * for each that would have changed the answer (and, for Claude, those whose answer the router
 * does not carry back: NOT_CARRIED). `speed: "standard"` is every model's speed, and an
 * `inference_geo` that reached a deployment here was met by its data zone: neither is named.
 */
export function adaptClaudeParams(
  body: ChatRequest,
  deployment: DeploymentConfig,
  warnings: string[],
): void {
  const params = claudeParamsOf(body);
  if (params === undefined) return;
  if (deployment.provider === 'anthropic') {
    const sent = { ...params };
    for (const field of Object.keys(NOT_CARRIED))
      if (field in sent) {
        delete sent[field];
        warnings.push(`${field} dropped: ${NOT_CARRIED[field]!}`);
      }
    body[CLAUDE_PARAMS_FIELD] = sent;
    return;
  }
  delete body[CLAUDE_PARAMS_FIELD];
  for (const [field, value] of Object.entries(params)) {
    const said = DROPPED[field];
    if (said === undefined || (field === 'speed' && value === 'standard')) continue;
    warnings.push(`${field} dropped: ${said(deployment.name)}`);
  }
}
