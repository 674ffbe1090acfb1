// `promptCaching: auto`: an OpenAI-format request that marks no prompt-caching breakpoint reaches
// Claude with three (last tool, system prompt, last user or tool-result turn); a request with
// marks of its own, or a deployment with it off, reaches Claude as before.
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { parseConfig } from '../../config/load-config.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';

const EPHEMERAL = { type: 'ephemeral' };
const claudeInput = {
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  prices: { inputPer1M: 3, cachedInputPer1M: 0.3, cacheWriteInputPer1M: 3.75, outputPer1M: 15 },
  contextWindow: 200000,
  maxOutputTokens: 8192,
};
const claude = deploymentSchema.parse(claudeInput);
const autoClaude = deploymentSchema.parse({ ...claudeInput, promptCaching: 'auto' });

/** A Codex-style agent turn: instructions, tools, and the results of the calls it made. */
const agentTurn = {
  model: 'model-router',
  messages: [
    { role: 'system', content: 'You are a coding agent.' },
    { role: 'developer', content: 'Project instructions.' },
    { role: 'user', content: 'Fix the bug.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } },
        { id: 'c2', type: 'function', function: { name: 'read', arguments: '{"path":"b.ts"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'file a' },
    { role: 'tool', tool_call_id: 'c2', content: 'file b' },
  ],
  tools: [
    { type: 'function', function: { name: 'read', parameters: { type: 'object' } } },
    { type: 'function', function: { name: 'edit', parameters: { type: 'object' } } },
  ],
} as unknown as ChatRequest;

/** What Claude gets for `agentTurn` with auto caching off, to the byte. */
const agentTurnAsBefore = {
  model: 'claude-sonnet-4-5',
  max_tokens: 8192,
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Fix the bug.' }] },
    {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'c1', name: 'read', input: { path: 'a.ts' } },
        { type: 'tool_use', id: 'c2', name: 'read', input: { path: 'b.ts' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'c1', content: 'file a' },
        { type: 'tool_result', tool_use_id: 'c2', content: 'file b' },
      ],
    },
  ],
  system: 'You are a coding agent.\n\nProject instructions.',
  tools: [
    { name: 'read', input_schema: { type: 'object' } },
    { name: 'edit', input_schema: { type: 'object' } },
  ],
};

describe('promptCaching: auto', () => {
  it('marks the last tool, the system prompt and the last tool result', () => {
    const sent = chatToAnthropicRequest(agentTurn, autoClaude);
    expect(JSON.stringify(sent)).toBe(
      JSON.stringify({
        ...agentTurnAsBefore,
        messages: [
          agentTurnAsBefore.messages[0],
          agentTurnAsBefore.messages[1],
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'c1', content: 'file a' },
              {
                type: 'tool_result',
                tool_use_id: 'c2',
                content: 'file b',
                cache_control: EPHEMERAL,
              },
            ],
          },
        ],
        system: [
          {
            type: 'text',
            text: 'You are a coding agent.\n\nProject instructions.',
            cache_control: EPHEMERAL,
          },
        ],
        tools: [
          { name: 'read', input_schema: { type: 'object' } },
          { name: 'edit', input_schema: { type: 'object' }, cache_control: EPHEMERAL },
        ],
      }),
    );
  });

  it('marks the last user turn on its last non-empty block, never an assistant prefill', () => {
    const sent = chatToAnthropicRequest(
      {
        model: 'x',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Summarise.' },
              { type: 'text', text: '' },
            ],
          },
          { role: 'assistant', content: 'Summary:' },
        ],
      } as ChatRequest,
      autoClaude,
    );
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarise.', cache_control: EPHEMERAL },
          { type: 'text', text: '' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Summary:' }] },
    ]);
    // No system prompt and no tools: nothing else to mark.
    expect(sent.system).toBeUndefined();
    expect(sent.tools).toBeUndefined();
  });

  it("adds nothing to a request with marks of its own: the client's win", () => {
    const marked = {
      ...agentTurn,
      messages: [
        ...agentTurn.messages.slice(0, 2),
        {
          role: 'user',
          content: [{ type: 'text', text: 'Fix the bug.', cache_control: EPHEMERAL }],
        },
        ...agentTurn.messages.slice(3),
      ],
    } as ChatRequest;
    expect(chatToAnthropicRequest(marked, autoClaude)).toEqual(
      chatToAnthropicRequest(marked, claude),
    );
    const sent = JSON.stringify(chatToAnthropicRequest(marked, autoClaude));
    expect(sent.match(/cache_control/g)).toHaveLength(1);
    const markedTool = {
      ...agentTurn,
      tools: [{ ...agentTurn.tools![0], cache_control: EPHEMERAL }],
    } as unknown as ChatRequest;
    expect(chatToAnthropicRequest(markedTool, autoClaude)).toEqual(
      chatToAnthropicRequest(markedTool, claude),
    );
  });

  it("counts OpenAI's own breakpoint (prompt_cache_breakpoint, @langchain/openai 1.6) as the client's mark", () => {
    const marked = {
      ...agentTurn,
      messages: [
        ...agentTurn.messages.slice(0, 2),
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Fix the bug.', prompt_cache_breakpoint: { mode: 'explicit' } },
          ],
        },
        ...agentTurn.messages.slice(3),
      ],
    } as unknown as ChatRequest;
    const sent = JSON.stringify(chatToAnthropicRequest(marked, autoClaude));
    expect(sent.match(/cache_control/g)).toHaveLength(1);
    expect(sent).toContain(
      '{"type":"text","text":"Fix the bug.","cache_control":{"type":"ephemeral"}}',
    );
  });

  it('off (the default): the request is sent as before, to the byte', () => {
    expect(claude.promptCaching).toBe('off');
    expect(JSON.stringify(chatToAnthropicRequest(agentTurn, claude))).toBe(
      JSON.stringify(agentTurnAsBefore),
    );
  });

  it('is deterministic, and never marks more than four blocks', () => {
    const first = JSON.stringify(chatToAnthropicRequest(agentTurn, autoClaude));
    expect(JSON.stringify(chatToAnthropicRequest(agentTurn, autoClaude))).toBe(first);
    expect(first.match(/cache_control/g)).toHaveLength(3);
  });

  it('rejects an unknown setting with its path', () => {
    const parsed = deploymentSchema.safeParse({ ...claudeInput, promptCaching: 'always' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['promptCaching']);
  });

  it('warns where it does nothing: on a provider other than anthropic', () => {
    const gpt = { ...claudeInput, name: 'gpt', provider: 'openai', promptCaching: 'auto' };
    const { warnings } = parseConfig(
      { deployments: [{ ...claudeInput, promptCaching: 'auto' }, gpt] },
      {},
    );
    // (The environment's own warnings, an unset key or auth.mode none, are not this test's.)
    expect(warnings.filter((w) => w.includes('promptCaching'))).toEqual([
      'deployments[1].promptCaching: "auto" marks breakpoints for Claude only; provider "openai" ignores it',
    ]);
  });
});
