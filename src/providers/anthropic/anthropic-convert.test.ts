import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../../test/helpers/test-config.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { sentByOpenAiAdapter } from '../../../test/helpers/fake-http.js';
import { chatToAnthropicRequest } from './anthropic-convert.js';
import { anthropicToChatResponse, mapUsage } from './anthropic-reply.js';

const claude = claudeDeployment({ capabilities: { reasoning: true } });

describe('Chat → Anthropic request', () => {
  it('merges system prompts, groups tool results into one user turn, maps images, tool_choice and parallel calls', () => {
    const body = chatToAnthropicRequest(
      {
        model: 'x',
        messages: [
          { role: 'system', content: 'A' },
          { role: 'developer', content: 'B' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
              { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'r1' },
          { role: 'tool', tool_call_id: 'c2', content: 'r2' },
        ],
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
        parallel_tool_calls: false,
        temperature: 1.7,
        stop: 'END',
      } as ChatRequest,
      { ...claude, capabilities: { ...claude.capabilities, reasoning: false } },
    );
    expect(body.system).toBe('A\n\nB');
    expect(body.temperature).toBe(1);
    expect(body.stop_sequences).toEqual(['END']);
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    const messages = body.messages as { role: string; content: Record<string, unknown>[] }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[0]!.content[1]).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
    });
    expect(messages[1]!.content).toEqual([
      { type: 'tool_use', id: 'c1', name: 'f', input: { a: 1 } },
      { type: 'tool_use', id: 'c2', name: 'g', input: {} },
    ]);
    expect(messages[2]!.content.map((b) => b.tool_use_id)).toEqual(['c1', 'c2']);
  });

  // Anthropic's ToolChoiceNone has no disable_parallel_tool_use (anthropic-ai/sdk ToolChoiceNone:
  // `{type: 'none'}` only; Claude refuses the extra field): a chat client's `tool_choice: "none"`
  // with `parallel_tool_calls: false` (LangChain sets both) went as `{type: 'none',
  // disable_parallel_tool_use: true}`, a 400.
  it('tool_choice none stays {type: "none"} with parallel_tool_calls false; auto and any carry the flag', () => {
    const ask = (tool_choice: ChatRequest['tool_choice']) =>
      chatToAnthropicRequest(
        {
          model: 'x',
          messages: [{ role: 'user', content: 'hi' }],
          tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
          tool_choice,
          parallel_tool_calls: false,
        } as ChatRequest,
        claude,
      ).tool_choice;
    expect(ask('none')).toEqual({ type: 'none' });
    expect(ask('required')).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(ask(undefined)).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('a prefill is sent without trailing white space, which Anthropic refuses; only the last turn', () => {
    const sent = (messages: ChatRequest['messages']) =>
      (
        chatToAnthropicRequest({ model: 'x', messages } as ChatRequest, claude) as {
          messages: { role: string; content: Record<string, unknown>[] }[];
        }
      ).messages;
    const asked = { role: 'user', content: 'Name a colour.  ' } as const;
    expect(sent([asked, { role: 'assistant', content: 'The colour is \n ' }])).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Name a colour.  ' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'The colour is' }] },
    ]);
    // A prefill of white space alone is no prefill: left out, the user's turn last.
    expect(sent([asked, { role: 'assistant', content: ' ' }])).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Name a colour.  ' }] },
    ]);
    // An earlier assistant turn keeps its text as it was.
    const earlier = sent([
      asked,
      { role: 'assistant', content: 'Red. ' },
      { role: 'user', content: 'Another?' },
    ]);
    expect(earlier[1]!.content).toEqual([{ type: 'text', text: 'Red. ' }]);
  });

  it('file parts: a PDF as a base64 document, text as a plain-text document, an image as an image', () => {
    const body = chatToAnthropicRequest(
      {
        model: 'x',
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'file',
                file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' },
              },
              {
                type: 'file',
                file: { file_data: 'data:text/csv;base64,YSxiCjEsMgo=', filename: 't.csv' },
              },
              { type: 'file', file: { file_data: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
        ],
      } as ChatRequest,
      claude,
    );
    expect((body.messages as { content: unknown[] }[])[0]!.content).toEqual([
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
        title: 'a.pdf',
      },
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'a,b\n1,2\n' },
        title: 't.csv',
      },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    ]);
  });

  it('reasoning_effort becomes a thinking budget below max_tokens, and sampling parameters are left out', () => {
    const body = chatToAnthropicRequest(
      {
        model: 'x',
        messages: [{ role: 'user', content: 'think' }],
        reasoning_effort: 'high',
        max_tokens: 2000,
        temperature: 0.2,
      } as ChatRequest,
      claude,
    );
    const thinking = body.thinking as { budget_tokens: number };
    expect(thinking.budget_tokens).toBeGreaterThanOrEqual(1024);
    expect(thinking.budget_tokens).toBeLessThan(body.max_tokens as number);
    expect(body.temperature).toBeUndefined();
  });

  it('JSON mode (json_object) is one forced tool taking any object, whose input comes back as the text', () => {
    const body = chatToAnthropicRequest(
      {
        model: 'x',
        messages: [{ role: 'user', content: 'list two colours as JSON' }],
        response_format: { type: 'json_object' },
      } as ChatRequest,
      claude,
    );
    expect(body.tools).toEqual([
      {
        name: 'json_output',
        description: 'Return the answer as a JSON object.',
        input_schema: { type: 'object' },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'json_output' });
    const reply = anthropicToChatResponse(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'tool_use', id: 't1', name: 'json_output', input: { colours: ['red'] } }],
        stop_reason: 'tool_use',
        usage: { input_tokens: 5, output_tokens: 7 },
      },
      claude,
    );
    expect(JSON.parse(reply.choices[0]!.message.content as string)).toEqual({ colours: ['red'] });
    expect(reply.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('Anthropic → Chat reply', () => {
  it('usage: input_tokens excludes cache reads and writes, so prompt tokens add them back', () => {
    expect(
      mapUsage({
        input_tokens: 21,
        cache_creation_input_tokens: 100,
        cache_read_input_tokens: 1800,
        output_tokens: 40,
      }),
    ).toMatchObject({
      prompt_tokens: 1921,
      completion_tokens: 40,
      total_tokens: 1961,
      prompt_tokens_details: { cached_tokens: 1800 },
    });
  });

  it('thinking blocks are kept for Anthropic only, and never sent to another provider after a failover', async () => {
    const reply = anthropicToChatResponse(
      {
        id: 'msg_1',
        model: 'claude-sonnet-4-5-20250929',
        stop_reason: 'end_turn',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'text', text: 'Hi' },
        ],
        usage: { input_tokens: 1, output_tokens: 2 },
      },
      claude,
    );
    const message = reply.choices[0]!.message as unknown as Record<string, unknown>;
    expect(message.content).toBe('Hi');
    const next = {
      model: 'x',
      messages: [{ role: 'user', content: 'q' }, message, { role: 'user', content: 'more' }],
    } as unknown as ChatRequest;
    const toAnthropic = chatToAnthropicRequest(next, claude);
    expect((toAnthropic.messages as { content: unknown[] }[])[1]!.content[0]).toEqual({
      type: 'thinking',
      thinking: 'hmm',
      signature: 'sig',
    });
    // The OpenAI adapter strips the provider-private field before sending.
    const sent = await sentByOpenAiAdapter(next);
    expect(sent).not.toContain('reasoning_details');
    expect(sent).not.toContain('sig');
  });
});
