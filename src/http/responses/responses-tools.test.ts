// Responses tools on the bridge to chat: namespace tools flattened and named back, hosted tools
// left out with a warning where the deployment cannot run them and kept where it speaks
// Responses natively.
import { describe, expect, it } from 'vitest';
import { openaiDeployment } from '../../../test/helpers/test-config.js';
import { adaptRequestForDeployment } from '../../policy/reasoning-params.js';
import { responsesToChat } from './responses-convert.js';
import { chatToInputItems } from './chat-to-input-items.js';
import { callName } from './responses-tools.js';

const request = {
  model: 'model-router',
  input: [
    { role: 'user', content: 'go' },
    { type: 'function_call', call_id: 'c1', namespace: 'crm', name: 'find', arguments: '{}' },
    { type: 'function_call_output', call_id: 'c1', output: 'none' },
  ],
  tools: [
    { type: 'function', name: 'my__plain', parameters: { type: 'object' } },
    {
      type: 'namespace',
      name: 'crm',
      description: 'Customer records.',
      tools: [{ type: 'function', name: 'find', description: 'Find one.' }],
    },
    { type: 'web_search' },
    { type: 'file_search', vector_store_ids: ['vs_1'] },
  ],
  tool_choice: { type: 'function', namespace: 'crm', name: 'find' },
};

const openai = (responsesApi: boolean) =>
  openaiDeployment({ name: responsesApi ? 'native' : 'chat-only', capabilities: { responsesApi } });

describe('Responses tools on the bridge', () => {
  it('flattens a namespace into functions named <namespace>__<name>, with its description', () => {
    const { chat } = responsesToChat(request, undefined);
    expect(chat.tools?.map((t) => (t.type === 'function' ? t.function.name : t.type))).toEqual([
      'my__plain',
      'crm__find',
    ]);
    const find = chat.tools?.[1];
    expect(find?.type === 'function' && find.function.description).toBe(
      'Customer records.\n\nFind one.',
    );
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'crm__find' } });
    // An input call to a namespace member is the same chat function.
    const assistant = chat.messages[1] as { tool_calls: { function: { name: string } }[] };
    expect(assistant.tool_calls[0]?.function.name).toBe('crm__find');
  });

  it('names a call back from the request\'s tools, never from "__" in a name alone', () => {
    expect(callName(request, 'crm__find')).toEqual({ namespace: 'crm', name: 'find' });
    expect(callName(request, 'my__plain')).toEqual({ name: 'my__plain' });
  });

  it('hosted tools: dropped with a warning for a chat deployment, kept for a native one', () => {
    const { chat } = responsesToChat(request, undefined);
    const bridged = adaptRequestForDeployment(chat, openai(false));
    expect(bridged.warnings).toContain(
      'hosted tools dropped (web_search, file_search): chat-only serves the Responses API through Chat Completions, which cannot run them',
    );
    expect(Object.keys(bridged.body).filter((k) => k.startsWith('x_'))).toEqual([]);
    const native = adaptRequestForDeployment(chat, openai(true));
    expect(native.warnings.join()).not.toMatch(/hosted tools/);
    expect(Object.keys(native.body).filter((k) => k.startsWith('x_'))).toEqual([]);
  });

  it('hosted tools alone leave chat no tools and no tool_choice (chat refuses one without tools)', () => {
    const { chat } = responsesToChat(
      { model: 'm', input: 'hi', tools: [{ type: 'web_search' }], tool_choice: 'auto' },
      undefined,
    );
    expect(chat.tools).toBeUndefined();
    expect(chat.tool_choice).toBeUndefined();
  });

  it('a namespace without members, or with a hosted member, is a 400 naming the path', () => {
    expect(() =>
      responsesToChat(
        { model: 'm', input: 'hi', tools: [{ type: 'namespace', name: 'x', tools: [] }] },
        undefined,
      ),
    ).toThrow('tools[0].tools must be a non-empty array of function or custom tools.');
    expect(() =>
      responsesToChat(
        {
          model: 'm',
          input: 'hi',
          tools: [{ type: 'namespace', name: 'x', tools: [{ type: 'web_search' }] }],
        },
        undefined,
      ),
    ).toThrow(/tools\[0\]\.tools\[0\] must be a function tool/);
  });

  it("a function's name outside ^[a-zA-Z0-9_-]{1,64}$ is a 400 naming it, in a namespace too", () => {
    const ask = (tools: unknown[]) => () =>
      responsesToChat({ model: 'm', input: 'hi', tools }, undefined);
    expect(ask([{ type: 'function', name: 'a b' }])).toThrow(
      /^Invalid 'tools\[0\]\.name': "a b" does not match the pattern/,
    );
    expect(ask([{ type: 'function', name: 'x'.repeat(65) }])).toThrow(/tools\[0\]\.name/);
    expect(
      ask([{ type: 'namespace', name: 'crm', tools: [{ type: 'function', name: 'find.one' }] }]),
    ).toThrow(/tools\[0\]\.tools\[0\]\.name/);
    expect(ask([{ type: 'function', name: 'get_weather-2' }])).not.toThrow();
  });
});

describe('custom tools on the bridge', () => {
  const custom = {
    model: 'm',
    input: [
      { role: 'user', content: 'patch' },
      { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
      { type: 'custom_tool_call_output', call_id: 'c1', output: 'Done!' },
      { type: 'custom_tool_call', call_id: 'c2', namespace: 'fs', name: 'write', input: 'x' },
      { type: 'custom_tool_call_output', call_id: 'c2', output: 'ok' },
    ],
    tools: [
      {
        type: 'custom',
        name: 'apply_patch',
        description: 'Edit files.',
        format: { type: 'grammar', syntax: 'lark', definition: 'start: "x"' },
      },
      { type: 'namespace', name: 'fs', tools: [{ type: 'custom', name: 'write' }] },
    ],
    tool_choice: { type: 'custom', name: 'apply_patch' },
  };

  it('become chat custom tools (the grammar nested under `grammar`), calls and outputs both ways', () => {
    const { chat } = responsesToChat(custom, undefined);
    expect(chat.tools).toEqual([
      {
        type: 'custom',
        custom: {
          name: 'apply_patch',
          description: 'Edit files.',
          format: { type: 'grammar', grammar: { syntax: 'lark', definition: 'start: "x"' } },
        },
      },
      { type: 'custom', custom: { name: 'fs__write' } },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'custom', custom: { name: 'apply_patch' } });
    expect(chat.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'custom', custom: { name: 'apply_patch', input: '*** Begin Patch' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'Done!' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c2', type: 'custom', custom: { name: 'fs__write', input: 'x' } }],
      },
      { role: 'tool', tool_call_id: 'c2', content: 'ok' },
    ]);
    expect(callName(custom, 'fs__write')).toEqual({ namespace: 'fs', name: 'write' });
    // Back to input items (for an upstream that speaks Responses): outputs answer custom calls.
    expect(chatToInputItems(chat.messages).slice(1, 3)).toEqual([
      { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: '*** Begin Patch' },
      { type: 'custom_tool_call_output', call_id: 'c1', output: 'Done!' },
    ]);
  });

  it('a bad format, a call without input, or a choice of a tool not offered is a 400', () => {
    const ask = (patch: Record<string, unknown>) => () =>
      responsesToChat({ ...custom, ...patch }, undefined);
    const badFormat = [{ type: 'custom', name: 'p', format: { type: 'grammar' } }];
    expect(ask({ tools: badFormat, tool_choice: 'auto' })).toThrow(/tools\[0\]\.format must be/);
    expect(
      ask({ input: [{ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' }] }),
    ).toThrow(/input\[0\]\.input' is required/);
    expect(ask({ tool_choice: { type: 'custom', name: 'other' } })).toThrow(
      /names 'other', which is not one of the request's tools \('apply_patch', 'fs\.write'\): name a custom tool/,
    );
  });
});
