// What Claude Code (2.1.x) sends that earlier Anthropic clients did not: a system message in the
// middle of `messages` (beta mid-conversation-system-2026-04-07) and `context_management`. The
// request below has the shape of its first request, captured against the router (its own texts
// replaced); before, it was refused with 400 `messages.1.role must be "user" or "assistant"`.
import { describe, expect, it } from 'vitest';
import { chatToAnthropicRequest } from '../../providers/anthropic/anthropic-convert.js';
import { adaptRequestForDeployment } from '../../policy/reasoning-params.js';
import { claudeDeployment, openaiDeployment } from '../../../test/helpers/test-config.js';
import { messagesToChat } from './messages-convert.js';

const claudeCodeShaped = {
  model: 'model-router',
  max_tokens: 32000,
  stream: true,
  system: [
    { type: 'text', text: 'x-billing-header: cc_version=2.1' },
    { type: 'text', text: 'You are a coding agent.', cache_control: { type: 'ephemeral' } },
  ],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>Today is 2026-12-02.</system-reminder>' },
        { type: 'text', text: 'Say hello', cache_control: { type: 'ephemeral' } },
      ],
    },
    { role: 'system', content: 'Available agent types: Explore, Plan.' },
  ],
  tools: [{ name: 'Read', description: 'Reads a file.', input_schema: { type: 'object' } }],
  metadata: { user_id: '{"device_id":"d1","session_id":"s1"}' },
  thinking: { type: 'adaptive' },
  context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
  output_config: { effort: 'high' },
};

describe("Claude Code's requests", () => {
  it('a system message mid-conversation is a chat system message where it stands', () => {
    const chat = messagesToChat(claudeCodeShaped);
    expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'system']);
    expect(chat.messages[2]).toEqual({
      role: 'system',
      content: 'Available agent types: Explore, Plan.',
    });
  });

  it('a system message holds text blocks only; another role is a 400 naming the roles', () => {
    const withImage = {
      ...claudeCodeShaped,
      messages: [
        claudeCodeShaped.messages[0],
        {
          role: 'system',
          content: [{ type: 'image', source: { type: 'url', url: 'https://x/a.png' } }],
        },
      ],
    };
    expect(() => messagesToChat(withImage)).toThrow(
      /messages\.1\.content\.0: must be a text block/,
    );
    const asTool = {
      ...claudeCodeShaped,
      messages: [{ role: 'tool', content: 'x' }],
    };
    expect(() => messagesToChat(asTool)).toThrow(
      'messages.0.role must be "user", "assistant" or "system".',
    );
  });

  it('reaches Claude with the mid-conversation system text in its system prompt, in order', () => {
    const d = claudeDeployment();
    const { body } = adaptRequestForDeployment(messagesToChat(claudeCodeShaped), d);
    const out = chatToAnthropicRequest(body, d);
    expect((out.system as { text: string }[]).map((b) => b.text)).toEqual([
      'x-billing-header: cc_version=2.1',
      'You are a coding agent.',
      'Available agent types: Explore, Plan.',
    ]);
    expect((out.messages as { role: string }[]).map((m) => m.role)).toEqual(['user']);
  });

  it('stays where it stands for Claude with capabilities.midConversationSystem, marks and all', () => {
    // Hoisted, a system message that comes later in a session changes the system prompt, and
    // every turn Claude had cached after it is read again at the price of a cache write.
    const d = claudeDeployment({ capabilities: { midConversationSystem: true } });
    const later = {
      ...claudeCodeShaped,
      messages: [
        ...claudeCodeShaped.messages,
        { role: 'assistant', content: 'Hello.' },
        {
          role: 'system',
          content: [
            { type: 'text', text: 'New skills: review.', cache_control: { type: 'ephemeral' } },
          ],
        },
        { role: 'user', content: 'Review it.' },
      ],
    };
    const out = chatToAnthropicRequest(adaptRequestForDeployment(messagesToChat(later), d).body, d);
    expect((out.system as { text: string }[]).map((b) => b.text)).toEqual([
      'x-billing-header: cc_version=2.1',
      'You are a coding agent.',
    ]);
    expect((out.messages as { role: string; content: unknown }[]).slice(1)).toEqual([
      {
        role: 'system',
        content: [{ type: 'text', text: 'Available agent types: Explore, Plan.' }],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
      {
        role: 'system',
        content: [
          { type: 'text', text: 'New skills: review.', cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Review it.' }] },
    ]);
  });

  it('context_management goes to Claude where the deployment takes it, else is dropped with a warning', () => {
    const edits = claudeCodeShaped.context_management;
    const taking = claudeDeployment({ capabilities: { contextManagement: true } });
    const kept = adaptRequestForDeployment(messagesToChat(claudeCodeShaped), taking);
    expect(chatToAnthropicRequest(kept.body, taking).context_management).toEqual(edits);
    expect(kept.warnings.join()).not.toMatch(/context_management/);

    const older = claudeDeployment();
    const dropped = adaptRequestForDeployment(messagesToChat(claudeCodeShaped), older);
    expect(chatToAnthropicRequest(dropped.body, older).context_management).toBeUndefined();
    expect(dropped.warnings).toContain(
      "context_management dropped: claude does not take Anthropic's context editing (capabilities.contextManagement); the whole conversation was sent",
    );

    const gpt = openaiDeployment();
    const toOpenAI = adaptRequestForDeployment(messagesToChat(claudeCodeShaped), gpt);
    expect(Object.keys(toOpenAI.body).filter((k) => k.startsWith('x_context'))).toEqual([]);
    expect(toOpenAI.warnings.some((w) => w.startsWith('context_management dropped: gpt'))).toBe(
      true,
    );
    // The mid-conversation system message stays in place for an OpenAI-format upstream.
    expect(toOpenAI.body.messages.map((m) => m.role)).toEqual(['system', 'user', 'system']);
  });
});
