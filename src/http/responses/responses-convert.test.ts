// Responses input items → chat messages: the reasoning items the router returned go back on
// the assistant turn they came with (its text and function calls one chat message, as Anthropic
// needs the thinking first in the turn of the tool call), other upstreams' reasoning is dropped;
// function outputs given as content parts.
import { describe, expect, it } from 'vitest';
import { CLIENT_PATH, type ReasoningDetail } from '../../core/wire-types.js';
import { responsesToChat } from './responses-convert.js';
import { convertInput } from './convert-input.js';
import { chatToInputItems } from './chat-to-input-items.js';
import { reasoningItem } from './responses-reasoning.js';

const signed: ReasoningDetail = {
  provider: 'anthropic',
  type: 'thinking',
  thinking: 'Read it first.',
  signature: 'sig-1',
};
const redacted: ReasoningDetail = { provider: 'anthropic', type: 'redacted_thinking', data: 'enc' };

describe('Responses input items with reasoning', () => {
  it("puts the router's reasoning items on the assistant turn that follows: its text and calls one message", () => {
    const messages = convertInput([
      { role: 'user', content: 'Fix a.ts.' },
      reasoningItem(signed, 'rs_1'),
      reasoningItem(redacted, 'rs_2'),
      { type: 'reasoning', id: 'rs_openai', summary: [], encrypted_content: 'gAAAAAB-openai' },
      { role: 'assistant', content: 'Reading.' },
      { type: 'function_call', call_id: 'call_1', name: 'read', arguments: '{}' },
      { type: 'function_call', call_id: 'call_2', name: 'read', arguments: '{"p":1}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'a' },
      { type: 'function_call_output', call_id: 'call_2', output: 'b' },
    ]);
    expect(messages).toEqual([
      { role: 'user', content: 'Fix a.ts.' },
      {
        role: 'assistant',
        content: 'Reading.',
        reasoning_details: [signed, redacted],
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'read', arguments: '{"p":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'a' },
      { role: 'tool', tool_call_id: 'call_2', content: 'b' },
    ]);
  });

  it('thinking with no assistant turn after it, or unsigned (redacted by the filter), goes nowhere', () => {
    const unsigned = reasoningItem({ ...signed, signature: undefined }, 'rs_3');
    expect(unsigned.encrypted_content).toBeNull();
    expect(
      convertInput([
        reasoningItem(signed, 'rs_1'),
        { role: 'user', content: 'Hi.' },
        unsigned,
        { type: 'function_call', call_id: 'call_1', name: 'read', arguments: '{}' },
      ]),
    ).toEqual([
      { role: 'user', content: 'Hi.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'read', arguments: '{}' } },
        ],
      },
    ]);
  });
});

const call = { type: 'function_call', call_id: 'call_1', name: 'screenshot', arguments: '{}' };

describe('convertInput: function_call_output parts', () => {
  it('text parts become the tool message text (they reached the model as their JSON)', () => {
    const messages = convertInput([
      call,
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: '20C' },
          { type: 'input_text', text: 'sunny' },
        ],
      },
    ]);
    expect(messages[1]).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '20C\nsunny' });
    expect(messages).toHaveLength(2);
  });

  it('images follow the tool messages in one user message, each under a line naming its call', () => {
    const image = 'data:image/png;base64,iVBORw0KGgo=';
    const messages = convertInput([
      call,
      { ...call, call_id: 'call_2' },
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: 'taken' },
          { type: 'input_image', image_url: image },
        ],
      },
      { type: 'function_call_output', call_id: 'call_2', output: 'no image' },
      { role: 'user', content: 'What is on it?' },
    ]);
    expect(messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: 'taken' },
      { role: 'tool', tool_call_id: 'call_2', content: 'no image' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached to the result of tool call call_1:' },
          {
            type: 'image_url',
            image_url: { url: image, detail: 'auto' },
            [CLIENT_PATH]: 'input[2].output[1].image_url',
          },
        ],
      },
      { role: 'user', content: 'What is on it?' },
    ]);
  });
});

describe('convertInput: a function output that answers no call', () => {
  it("Codex's goal context becomes its tool's call and output, after the turn's outputs", () => {
    const messages = convertInput([
      call,
      { type: 'function_call_output', call_id: 'call_1', output: '20C' },
      {
        type: 'function_call_output',
        id: 'fco_goal',
        name: 'goal_objective',
        namespace: 'agent',
        output: 'Ship it',
      },
    ]);
    expect(messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 'call_1', content: '20C' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_context_fco_goal',
            type: 'function',
            function: { name: 'agent__goal_objective', arguments: '{}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_context_fco_goal', content: 'Ship it' },
    ]);
    // Back to Responses items (a native upstream, input_items): as it came, with no call.
    expect(chatToInputItems(messages).slice(-1)).toEqual([
      {
        type: 'function_call_output',
        namespace: 'agent',
        name: 'goal_objective',
        output: 'Ship it',
      },
    ]);
    expect(chatToInputItems(messages).map((i) => i.type)).toEqual([
      'function_call',
      'function_call_output',
      'function_call_output',
    ]);
    const plain = convertInput([{ type: 'function_call_output', name: 'note', output: 'x' }]);
    expect(chatToInputItems(plain)).toEqual([
      { type: 'function_call_output', name: 'note', output: 'x' },
    ]);
  });
});

describe('Responses fields Chat Completions shares', () => {
  it('bridges prompt_cache_key, prompt_cache_retention, safety_identifier and user', () => {
    const { chat } = responsesToChat(
      {
        model: 'm',
        input: 'hi',
        prompt_cache_key: 'session-1',
        prompt_cache_retention: '24h',
        safety_identifier: 'user-hash',
        user: 'legacy-user',
      },
      undefined,
    );
    expect(chat).toMatchObject({
      prompt_cache_key: 'session-1',
      prompt_cache_retention: '24h',
      safety_identifier: 'user-hash',
      user: 'legacy-user',
    });
  });
});
