// Claude's adaptive thinking (`thinking: {type: "adaptive"}`, Claude decides how much to think)
// from an Anthropic client to each kind of deployment, `disabled` accepted; and a chat client's
// reasoning_effort as Anthropic's effort where the Claude deployment takes it.
import { describe, expect, it } from 'vitest';
import { claudeDeployment, openaiDeployment } from '../../../test/helpers/test-config.js';
import type { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { adaptRequestForDeployment } from '../../policy/reasoning-params.js';
import { requestNeeds } from '../../routing/eligibility.js';
import { messagesToChat } from './messages-convert.js';

type Json = Record<string, unknown>;

const o4mini = openaiDeployment({
  name: 'o4-mini',
  model: 'o4-mini',
  prices: { inputPer1M: 1, outputPer1M: 4 },
  contextWindow: 128_000,
  capabilities: { reasoning: true },
});

/** What a Claude deployment with these capabilities is sent for a chat request, and the warnings. */
function sendToClaude(chat: ChatRequest, capabilities: Json = {}) {
  const claude = claudeDeployment({ capabilities: { reasoning: true, ...capabilities } });
  const adapted = adaptRequestForDeployment(chat, claude);
  const warnings = adapted.warnings.filter((w) => !w.startsWith('max_tokens mapped'));
  return { sent: chatToAnthropicRequest(adapted.body, claude), warnings };
}

const ask = (extra: Json): Json => ({
  model: 'model-router',
  max_tokens: 4096,
  messages: [{ role: 'user', content: 'Prove it.' }],
  ...extra,
});
const adaptive = { thinking: { type: 'adaptive' } };

describe('adaptive thinking from an Anthropic client', () => {
  it('reaches a Claude that takes it as is, with the client’s effort and nothing of ours', () => {
    const caps = { adaptiveThinking: true, effort: true };
    const { sent, warnings } = sendToClaude(messagesToChat(ask(adaptive)), caps);
    expect(sent.thinking).toEqual({ type: 'adaptive' });
    expect(sent).not.toHaveProperty('output_config'); // Claude's default effort, high
    expect(sent.max_tokens).toBe(4096);
    expect(warnings).toEqual([]);
    const withEffort = sendToClaude(
      messagesToChat(ask({ ...adaptive, output_config: { effort: 'medium' } })),
      caps,
    );
    expect(withEffort.sent).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Prove it.' }] }],
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium' },
    });
  });

  it('is enabled thinking with the budget of its effort for a Claude without the flag, and said so', () => {
    const { sent, warnings } = sendToClaude(messagesToChat(ask(adaptive)));
    // Anthropic's default effort, high: 16,384 tokens, under max_tokens.
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 4095 });
    expect(warnings).toEqual([
      'thinking.type adaptive sent as enabled thinking with budget_tokens 4095: claude does not take adaptive thinking (capabilities.adaptiveThinking)',
    ]);
    const low = sendToClaude(
      messagesToChat(ask({ ...adaptive, output_config: { effort: 'low' } })),
      { effort: true },
    );
    expect(low.sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(low.sent.output_config).toEqual({ effort: 'low' });
  });

  it("is an OpenAI-format reasoning model's reasoning_effort (high unless the client's effort says)", () => {
    const plain = adaptRequestForDeployment(messagesToChat(ask(adaptive)), o4mini);
    expect(plain.body.reasoning_effort).toBe('high');
    expect(plain.body).not.toHaveProperty('x_thinking_adaptive');
    const low = adaptRequestForDeployment(
      messagesToChat(ask({ ...adaptive, output_config: { effort: 'low' } })),
      o4mini,
    );
    expect(low.body.reasoning_effort).toBe('low');
    expect(low.body).not.toHaveProperty('x_output_effort');
    // As enabled thinking: it needs a model that reasons.
    expect(requestNeeds(messagesToChat(ask(adaptive)), 10).reasoning).toBe(true);
  });

  it('is served without thinking beside a forced tool, as enabled thinking is', () => {
    const forced = ask({
      ...adaptive,
      tools: [{ name: 'read', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'read' },
    });
    const { sent, warnings } = sendToClaude(messagesToChat(forced), { adaptiveThinking: true });
    expect(sent).not.toHaveProperty('thinking');
    expect(warnings).toEqual([
      "reasoning_effort dropped: Anthropic's extended thinking does not work with a forced tool_choice (claude)",
    ]);
  });

  it('disabled is accepted and leaves thinking off; any other type is a 400 naming the field', () => {
    const chat = messagesToChat(ask({ thinking: { type: 'disabled' } }));
    expect(chat).not.toHaveProperty('reasoning_effort');
    expect(sendToClaude(chat, { adaptiveThinking: true }).sent).not.toHaveProperty('thinking');
    for (const thinking of [{ type: 'sometimes' }, 'adaptive', { budget_tokens: 2048 }]) {
      let err: GatewayError | undefined;
      try {
        messagesToChat(ask({ thinking }));
      } catch (e) {
        err = e as GatewayError;
      }
      expect(err?.status).toBe(400);
      expect(err?.param).toBe('thinking.type');
      expect(err?.message).toContain('"adaptive"');
    }
  });
});

describe("a chat client's reasoning_effort to Claude", () => {
  const chat = (reasoning_effort: string): ChatRequest =>
    ({
      model: 'claude',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Prove it.' }],
      reasoning_effort,
    }) as ChatRequest;

  it('is also Anthropic’s effort where the deployment takes it: minimal low, xhigh and max high, none nothing', () => {
    const cases: [string, unknown, unknown][] = [
      ['minimal', { effort: 'low' }, { type: 'enabled', budget_tokens: 1024 }],
      ['low', { effort: 'low' }, { type: 'enabled', budget_tokens: 1024 }],
      ['medium', { effort: 'medium' }, { type: 'enabled', budget_tokens: 4095 }],
      ['high', { effort: 'high' }, { type: 'enabled', budget_tokens: 4095 }],
      ['xhigh', { effort: 'high' }, { type: 'enabled', budget_tokens: 4095 }],
      ['max', { effort: 'high' }, { type: 'enabled', budget_tokens: 4095 }],
      ['none', undefined, undefined],
    ];
    for (const [effort, outputConfig, thinking] of cases) {
      const { sent, warnings } = sendToClaude(chat(effort), { effort: true });
      expect(sent.output_config).toEqual(outputConfig);
      expect(sent.thinking).toEqual(thinking);
      expect(warnings).toEqual([]);
    }
  });

  it('is adaptive thinking at that effort on a Claude that takes both (Anthropic’s recommended form)', () => {
    const { sent } = sendToClaude(chat('low'), { effort: true, adaptiveThinking: true });
    expect(sent.thinking).toEqual({ type: 'adaptive' });
    expect(sent.output_config).toEqual({ effort: 'low' });
    // Adaptive thinking without effort would think at high: a fixed budget keeps to "low".
    const noEffort = sendToClaude(chat('low'), { adaptiveThinking: true });
    expect(noEffort.sent.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(noEffort.sent).not.toHaveProperty('output_config');
  });

  it('keeps its effort beside a forced tool (effort works without thinking), and is unchanged without the flag', () => {
    const forced = {
      ...chat('medium'),
      tools: [{ type: 'function', function: { name: 'read', parameters: {} } }],
      tool_choice: 'required',
    } as ChatRequest;
    const { sent } = sendToClaude(forced, { effort: true });
    expect(sent).not.toHaveProperty('thinking');
    expect(sent.output_config).toEqual({ effort: 'medium' });
    const old = sendToClaude(chat('medium'));
    expect(old.sent).not.toHaveProperty('output_config');
    expect(old.sent.thinking).toEqual({ type: 'enabled', budget_tokens: 4095 });
  });

  it("does not add an effort to an Anthropic client's thinking budget, which said what it wanted", () => {
    const budget = messagesToChat(ask({ thinking: { type: 'enabled', budget_tokens: 2048 } }));
    const { sent } = sendToClaude(budget, { effort: true, adaptiveThinking: true });
    expect(sent.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(sent).not.toHaveProperty('output_config');
  });
});
