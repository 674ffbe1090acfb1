// Anthropic's client-run tools with no schema in the request (bash, the text editor, memory) on
// /v1/messages: Claude gets them as sent; any other model a function with the input Claude sends,
// written out; the calls come back as tool_use blocks either way. Computer use stays refused.
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import {
  appWith,
  claude,
  gptReply,
  searchGpt,
  type Json,
  postMessages,
} from '../../../test/helpers/web-search-fixtures.js';

const BASH = { type: 'bash_20250124', name: 'bash' };
const EDITOR = {
  type: 'text_editor_20250728',
  name: 'str_replace_based_edit_tool',
  max_characters: 10000,
  cache_control: { type: 'ephemeral' },
};
const ask = (extra: Json = {}) => ({
  model: 'model-router',
  max_tokens: 1024,
  tools: [BASH, EDITOR],
  messages: [{ role: 'user', content: 'Insert HELLO after line 2 of /tmp/a.txt' }],
  ...extra,
});
const post = postMessages;

describe("Anthropic's bash, text editor and memory tools on /v1/messages", () => {
  it('reach Claude as the client sent them', async () => {
    const t = await appWith([claude]);
    const res = await post(t.app, ask({ tool_choice: { type: 'tool', name: 'bash' } }));
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toClaude[0]!.body) as Json;
    expect(sent.tools).toEqual([BASH, EDITOR]);
    expect(sent.tool_choice).toEqual({ type: 'tool', name: 'bash' });
    await t.app.close();
  });

  it("reach any other model as functions with Claude's input, and its calls come back as tool_use", async () => {
    const reply = gptReply(searchGpt.model) as {
      choices: { message: Json; finish_reason: string }[];
    };
    const input = { command: 'insert', path: '/tmp/a.txt', insert_line: 2, insert_text: 'HELLO\n' };
    reply.choices[0]!.message = {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'str_replace_based_edit_tool', arguments: JSON.stringify(input) },
        },
      ],
    };
    reply.choices[0]!.finish_reason = 'tool_calls';
    const t = await appWith([searchGpt], undefined, reply);
    const res = await post(t.app, ask());
    expect(res.statusCode, res.body).toBe(200);
    const sent = JSON.parse(t.toSearch[0]!.body) as { tools: Json[] };
    expect(t.toSearch[0]!.body).not.toContain('x_anthropic_tool');
    expect(t.toSearch[0]!.body).not.toContain('cache_control');
    const [bash, editor] = sent.tools.map((x) => x.function as Json);
    expect(bash).toMatchObject({
      name: 'bash',
      parameters: { properties: { command: { type: 'string' }, restart: { type: 'boolean' } } },
    });
    expect(editor).toMatchObject({
      name: 'str_replace_based_edit_tool',
      parameters: {
        properties: {
          command: { enum: ['view', 'create', 'str_replace', 'insert'] },
          insert_text: { type: 'string' },
        },
        required: ['command', 'path'],
      },
    });
    const body = res.json();
    expect(body.stop_reason).toBe('tool_use');
    expect(body.content).toEqual([
      {
        type: 'tool_use',
        id: 'call_1',
        name: 'str_replace_based_edit_tool',
        input,
        caller: { type: 'direct' },
      },
    ]);
    await t.app.close();
  });

  it("the older editor's commands (undo_edit, insert's new_str), and memory's, for other models", async () => {
    const t = await appWith([searchGpt]);
    const res = await post(
      t.app,
      ask({
        tools: [
          { type: 'text_editor_20250124', name: 'str_replace_editor' },
          { type: 'memory_20250818', name: 'memory' },
        ],
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
    const [editor, memory] = (JSON.parse(t.toSearch[0]!.body) as { tools: Json[] }).tools.map(
      (x) => x.function as { parameters: { properties: Json } },
    );
    expect(editor!.parameters.properties.command).toMatchObject({
      enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'],
    });
    expect(editor!.parameters.properties).not.toHaveProperty('insert_text');
    expect(memory!.parameters.properties.command).toMatchObject({
      enum: ['view', 'create', 'str_replace', 'insert', 'delete', 'rename'],
    });
    await t.app.close();
  });

  it('need the name Anthropic requires; computer use stays refused', async () => {
    const t = await appWith([claude]);
    const misnamed = await post(t.app, ask({ tools: [{ type: 'bash_20250124', name: 'shell' }] }));
    expect(misnamed.statusCode).toBe(400);
    expect(misnamed.json().error.message).toContain('tools.0.name');
    expect(misnamed.json().error.message).toContain('"bash"');
    const computer = await post(
      t.app,
      ask({
        tools: [
          {
            type: 'computer_20241022',
            name: 'computer',
            display_width_px: 1024,
            display_height_px: 768,
          },
        ],
      }),
    );
    expect(computer.statusCode).toBe(400);
    expect(computer.json().error.message).toContain('computer_20241022');
    expect(t.toClaude).toHaveLength(0);
    // The private field is the bridge's: a chat client's cannot hand Claude a tool of its choosing.
    const chat = await t.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: {
        model: 'model-router',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [
          {
            type: 'function',
            function: { name: 'f', parameters: { type: 'object' } },
            x_anthropic_tool: { type: 'code_execution_20250522', name: 'code_execution' },
          },
        ],
      },
    });
    expect(chat.statusCode, chat.body).toBe(200);
    expect(JSON.parse(t.toClaude[0]!.body).tools).toEqual([
      { name: 'f', input_schema: { type: 'object' } },
    ]);
    await t.app.close();
  });

  it("the official SDK's forced memory call, served by the simulated fleet", async () => {
    const config = testConfig({
      deployments: [simDeployment('sim')],
      routers: [{ name: 'model-router', modelSubset: ['sim'] }],
    });
    const { app } = await buildTestApp(config, simulatedAdapters(config));
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const anthropic = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
      const message = await anthropic.beta.messages.create({
        model: 'model-router',
        max_tokens: 1024,
        tools: [{ type: 'memory_20250818', name: 'memory' }],
        tool_choice: { type: 'tool', name: 'memory' },
        messages: [{ role: 'user', content: 'Remember that I prefer tabs.' }],
      });
      const call = message.content.find((b) => b.type === 'tool_use');
      expect(call).toMatchObject({ type: 'tool_use', name: 'memory' });
      expect(['view', 'create', 'str_replace', 'insert', 'delete', 'rename']).toContain(
        (call as { input: { command: string } }).input.command,
      );
    } finally {
      await app.close();
    }
  });
});
