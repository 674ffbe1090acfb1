// Anthropic's `output_config` from an Anthropic client to each kind of deployment: its effort
// (Anthropic's own field where the deployment takes it, `reasoning_effort` for other reasoning
// models, dropped with a word elsewhere) and its structured outputs (native where the deployment
// takes them, so tools and thinking keep working; a forced tool otherwise).
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { GatewayError } from '../../core/errors.js';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { JSON_TOOL } from '../../providers/anthropic/anthropic-reply.js';
import { adaptRequestForDeployment } from '../../policy/reasoning-params.js';
import { requestNeeds } from '../../routing/eligibility.js';
import { messagesToChat } from './messages-convert.js';

type Json = Record<string, unknown>;

const openai = (reasoning: boolean) =>
  deploymentSchema.parse({
    name: reasoning ? 'o4-mini' : 'gpt-4.1',
    provider: 'openai',
    model: reasoning ? 'o4-mini' : 'gpt-4.1',
    prices: { inputPer1M: 1, outputPer1M: 4 },
    contextWindow: 128_000,
    capabilities: { reasoning },
  });

/** What an Anthropic deployment is sent for a Messages request, and the warnings on the way. */
function toClaude(body: Json, capabilities: Json = {}) {
  const claude = claudeDeployment({ capabilities: { reasoning: true, ...capabilities } });
  const adapted = adaptRequestForDeployment(messagesToChat(body), claude);
  // (A reasoning deployment's max_tokens → max_completion_tokens is said on every request.)
  const warnings = adapted.warnings.filter((w) => !w.startsWith('max_tokens mapped'));
  return { sent: chatToAnthropicRequest(adapted.body, claude), warnings };
}

const ask = (extra: Json): Json => ({
  model: 'model-router',
  max_tokens: 4096,
  messages: [{ role: 'user', content: 'Summarise the report.' }],
  ...extra,
});

describe('output_config.effort', () => {
  it('reaches an Anthropic deployment that takes it as Anthropic’s own field, without turning thinking on', () => {
    const { sent, warnings } = toClaude(ask({ output_config: { effort: 'low' } }), {
      effort: true,
    });
    expect(sent.output_config).toEqual({ effort: 'low' });
    expect(sent).not.toHaveProperty('thinking');
    expect(warnings).toEqual([]);
    // With thinking asked for too, both go: the client's budget and its effort.
    const both = toClaude(
      ask({
        thinking: { type: 'enabled', budget_tokens: 2048 },
        output_config: { effort: 'medium' },
      }),
      { effort: true },
    );
    expect(both.sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(both.sent.output_config).toEqual({ effort: 'medium' });
  });

  it('is dropped, and said so, for an Anthropic deployment without capabilities.effort (older Claude refuses it)', () => {
    const { sent, warnings } = toClaude(ask({ output_config: { effort: 'high' } }));
    expect(sent).not.toHaveProperty('output_config');
    expect(warnings).toEqual([
      "output_config.effort dropped: claude does not take Anthropic's effort parameter (capabilities.effort)",
    ]);
  });

  it("is an OpenAI-format reasoning model's reasoning_effort, and never reaches another upstream as ours", () => {
    const chat = messagesToChat(ask({ output_config: { effort: 'low' } }));
    const o = adaptRequestForDeployment(chat, openai(true));
    expect(o.body.reasoning_effort).toBe('low');
    expect(o.body).not.toHaveProperty('x_output_effort');
    expect(o.warnings).toEqual(['max_tokens mapped to max_completion_tokens']);
    // The effort wins over the one a thinking budget implied (16k would be "high").
    const withBudget = messagesToChat(
      ask({
        max_tokens: 20_000,
        thinking: { type: 'enabled', budget_tokens: 16_000 },
        output_config: { effort: 'medium' },
      }),
    );
    expect(adaptRequestForDeployment(withBudget, openai(true)).body.reasoning_effort).toBe(
      'medium',
    );
    const plain = adaptRequestForDeployment(chat, openai(false));
    expect(plain.body).not.toHaveProperty('reasoning_effort');
    expect(plain.body).not.toHaveProperty('x_output_effort');
    expect(plain.warnings).toEqual([
      'output_config.effort dropped: gpt-4.1 is not a reasoning model',
    ]);
  });

  it('does not keep the request from models that do not reason (it is a hint, not thinking)', () => {
    const chat = messagesToChat(ask({ output_config: { effort: 'low' } }));
    expect(requestNeeds(chat, 10).reasoning).toBe(false);
  });

  it("gets a 400 naming Anthropic's levels for anything else", () => {
    let err: GatewayError | undefined;
    try {
      messagesToChat(ask({ output_config: { effort: 'extreme' } }));
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.status).toBe(400);
    expect(err?.param).toBe('output_config.effort');
    expect(err?.message).toContain("'xhigh' or 'max'");
    for (const effort of ['low', 'medium', 'high', 'xhigh', 'max'])
      expect(messagesToChat(ask({ output_config: { effort } })).x_output_effort).toBe(effort);
  });
});

describe('structured outputs to an Anthropic deployment', () => {
  const schema = {
    type: 'object',
    properties: { answer: { type: 'string' } },
    required: ['answer'],
    additionalProperties: false,
  };
  const withTools = ask({
    output_config: { format: { type: 'json_schema', schema } },
    thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: [{ name: 'search', input_schema: { type: 'object' } }],
  });

  it('go natively where the deployment takes them: the client’s tools stay callable and thinking stays on', () => {
    const { sent, warnings } = toClaude(withTools, { structuredOutputs: true });
    expect(sent.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect((sent.tools as Json[]).map((t) => t.name)).toEqual(['search']);
    expect(sent).not.toHaveProperty('tool_choice');
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(warnings).toEqual([]);
    // The beta's output_format, effort beside it.
    const beta = toClaude(
      ask({ output_format: { type: 'json_schema', schema }, output_config: { effort: 'low' } }),
      { structuredOutputs: true, effort: true },
    );
    expect(beta.sent.output_config).toEqual({
      effort: 'low',
      format: { type: 'json_schema', schema },
    });
  });

  it('stay a forced tool (thinking off, said so) where it does not', () => {
    const { sent, warnings } = toClaude(withTools);
    expect(sent).not.toHaveProperty('output_config');
    expect((sent.tools as Json[]).map((t) => t.name)).toEqual(['search', JSON_TOOL]);
    expect(sent.tool_choice).toEqual({ type: 'tool', name: JSON_TOOL });
    expect(sent).not.toHaveProperty('thinking');
    expect(warnings).toEqual([
      "reasoning_effort dropped: Anthropic's extended thinking does not work with JSON output (sent as a forced tool) (claude)",
    ]);
  });

  it("JSON mode (an OpenAI client's json_object, any object) stays a forced tool even so", () => {
    const claude = claudeDeployment({ capabilities: { structuredOutputs: true } });
    const sent = chatToAnthropicRequest(
      {
        model: 'claude',
        messages: [{ role: 'user', content: 'hi' }],
        response_format: { type: 'json_object' },
      },
      claude,
    );
    expect(sent.tool_choice).toEqual({ type: 'tool', name: JSON_TOOL });
    expect(sent).not.toHaveProperty('output_config');
  });
});
