// The requests opencode (1.18) and the Continue CLI (`cn` 1.5) send, replayed against the BUILT
// router (simulated fleet) in their own shapes, trimmed from a capture of both CLIs run against
// `npm start` (long prompts and tool descriptions shortened, fields and nesting as sent). Each
// wire a CLI speaks: opencode's `@ai-sdk/openai-compatible` (chat), `@ai-sdk/anthropic`
// (messages) and `@ai-sdk/openai` (responses); Continue's `openai` (chat, the openai SDK) and
// `anthropic` (messages, its own fetch client). A tool loop each: the first turn must come back
// as tool calls the CLI can parse, the second (the CLI's tool results) as an answer.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  // Both CLIs ask for 32000 output tokens unless told otherwise (Continue's Anthropic provider
  // always): a fleet that writes as much, as the default config's GPT-4.1 does.
  const fleet = testConfigInput();
  fleet.deployments = fleet.deployments.map((d) => ({ ...d, maxOutputTokens: 32_768 }));
  server = await spawnServer(fleet);
  openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

// opencode's headers on every model call; the router reads neither.
const OPENCODE_HEADERS = { 'x-session-affinity': 'ses_1', 'x-session-id': 'ses_1' };
// opencode's tool schemas are zod's JSON Schema: `$schema`, safe-integer bounds.
const opencodeSchemas = {
  bash: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      command: { type: 'string', description: 'The command to execute' },
      timeout: {
        minimum: -9007199254740991,
        exclusiveMinimum: 0,
        type: 'integer',
        maximum: 9007199254740991,
        description: 'Optional timeout in milliseconds',
      },
    },
    required: ['command'],
  },
  read: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      filePath: { type: 'string', description: 'The absolute path to the file to read' },
      offset: { minimum: 0, type: 'integer', maximum: 9007199254740991 },
    },
    required: ['filePath'],
  },
};
const PROMPT = 'Use bash to run python3 hello.py, then read README.md';

/** Chat tool calls from a stream, assembled as the AI SDK and Continue assemble them. */
async function chatToolLoop(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return openai.chat.completions
    .create({ ...body, stream: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming, {
      headers,
    })
    .then(async (stream) => {
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      let finish: string | null = null;
      let text = '';
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        for (const d of choice?.delta.tool_calls ?? []) {
          const call = calls.get(d.index) ?? { id: '', name: '', arguments: '' };
          call.id ||= d.id ?? '';
          call.name ||= d.function?.name ?? '';
          call.arguments += d.function?.arguments ?? '';
          calls.set(d.index, call);
        }
        text += choice?.delta.content ?? '';
        finish = choice?.finish_reason ?? finish;
      }
      return { calls: [...calls.values()], finish, text };
    });
}

describe('opencode through the router', () => {
  const messages = [
    { role: 'system', content: 'You are opencode, an interactive CLI tool.' },
    { role: 'user', content: `"${PROMPT}"` },
  ];
  const tools = Object.entries(opencodeSchemas).map(([name, parameters]) => ({
    type: 'function',
    function: { name, description: `The ${name} tool.`, parameters },
  }));

  it('@ai-sdk/openai-compatible: streamed tool calls, then the tool results answered', async () => {
    const base = {
      model: 'model-router',
      max_tokens: 8192,
      tools,
      tool_choice: 'auto',
      stream_options: { include_usage: true },
    };
    const first = await chatToolLoop({ ...base, messages }, OPENCODE_HEADERS);
    expect(first.finish).toBe('tool_calls');
    expect(first.calls.map((c) => c.name).sort()).toEqual(['bash', 'read']);
    for (const c of first.calls) expect(JSON.parse(c.arguments)).toBeTypeOf('object');

    const second = await chatToolLoop(
      {
        ...base,
        messages: [
          ...messages,
          {
            role: 'assistant',
            content: '',
            tool_calls: first.calls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          },
          ...first.calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: 'not found' })),
        ],
      },
      OPENCODE_HEADERS,
    );
    expect(second.finish).toBe('stop');
    expect(second.text.length).toBeGreaterThan(0);
  });

  it('@ai-sdk/anthropic: cache_control on the system, a tool_use block and an is_error result', async () => {
    const base = {
      model: 'model-router',
      max_tokens: 8192,
      system: [
        {
          type: 'text' as const,
          text: 'You are opencode, an interactive CLI tool.',
          cache_control: { type: 'ephemeral' as const },
        },
      ],
      tools: Object.entries(opencodeSchemas).map(([name, input_schema]) => ({
        name,
        description: `The ${name} tool.`,
        input_schema: input_schema as Anthropic.Tool.InputSchema,
      })),
      tool_choice: { type: 'auto' as const },
    };
    const user: Anthropic.MessageParam = {
      role: 'user',
      content: [{ type: 'text', text: `"${PROMPT}"`, cache_control: { type: 'ephemeral' } }],
    };
    const first = await anthropic.messages
      .stream({ ...base, messages: [user] }, { headers: OPENCODE_HEADERS })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const uses = first.content.filter((b) => b.type === 'tool_use');
    expect(uses.map((u) => u.name).sort()).toEqual(['bash', 'read']);

    // opencode marks its last two messages: here the assistant's last tool_use block too.
    const second = await anthropic.messages
      .stream(
        {
          ...base,
          messages: [
            { role: 'user', content: [{ type: 'text', text: `"${PROMPT}"` }] },
            {
              role: 'assistant',
              content: uses.map((u, i) => ({
                type: 'tool_use' as const,
                id: u.id,
                name: u.name,
                input: u.input,
                ...(i === uses.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
              })),
            },
            {
              role: 'user',
              content: uses.map((u, i) => ({
                type: 'tool_result' as const,
                tool_use_id: u.id,
                content: 'File not found',
                ...(i === uses.length - 1
                  ? { is_error: true, cache_control: { type: 'ephemeral' as const } }
                  : {}),
              })),
            },
          ],
        },
        { headers: OPENCODE_HEADERS },
      )
      .finalMessage();
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]?.type).toBe('text');
  });

  it('@ai-sdk/openai (Responses): a system input item, store false, parallel calls and outputs', async () => {
    const base = {
      model: 'model-router',
      max_output_tokens: 8192,
      store: false,
      prompt_cache_key: 'ses_1',
      tools: Object.entries(opencodeSchemas).map(([name, parameters]) => ({
        type: 'function' as const,
        name,
        description: `The ${name} tool.`,
        parameters,
        strict: false,
      })),
      tool_choice: 'auto' as const,
    };
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'system', content: 'You are opencode, an interactive CLI tool.' },
      { role: 'user', content: [{ type: 'input_text', text: `"${PROMPT}"` }] },
    ];
    const events: string[] = [];
    const stream = await openai.responses.create(
      { ...base, input, stream: true },
      { headers: OPENCODE_HEADERS },
    );
    let done: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      events.push(e.type);
      if (e.type === 'response.completed') done = e.response;
    }
    expect(events).toContain('response.function_call_arguments.done');
    const calls = (done?.output ?? []).filter((o) => o.type === 'function_call');
    expect(calls.map((c) => c.name).sort()).toEqual(['bash', 'read']);

    const second = await openai.responses.create({
      ...base,
      input: [
        ...input,
        ...calls.map((c) => ({
          type: 'function_call' as const,
          call_id: c.call_id,
          name: c.name,
          arguments: c.arguments,
        })),
        ...calls.map((c) => ({
          type: 'function_call_output' as const,
          call_id: c.call_id,
          output: 'not found',
        })),
      ],
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
  });
});

describe('the Continue CLI through the router', () => {
  // Continue's tools: plain JSON Schema, capitalised names.
  const tools = [
    {
      type: 'function',
      function: {
        name: 'Read',
        description: 'Read the contents of a file at the specified path',
        parameters: {
          type: 'object',
          required: ['filepath'],
          properties: { filepath: { type: 'string', description: 'The path to the file' } },
        },
      },
    },
    {
      type: 'function',
      function: {
        name: 'Bash',
        description: 'Executes a terminal command and returns the output',
        parameters: {
          type: 'object',
          required: ['command'],
          properties: {
            command: { type: 'string', description: 'The command to execute in the terminal.' },
            timeout: { type: 'number', description: 'Optional timeout in seconds (max 600).' },
          },
        },
      },
    },
  ];
  const system = { role: 'system', content: 'You are an agent in the Continue CLI.' };

  it('provider openai: streamed tool calls, then the tool results (content before the id)', async () => {
    const body = { model: 'model-router', tools, stream_options: { include_usage: true } };
    const messages = [system, { role: 'user', content: PROMPT }];
    const first = await chatToolLoop({ ...body, messages });
    expect(first.finish).toBe('tool_calls');
    expect(first.calls.map((c) => c.name).sort()).toEqual(['Bash', 'Read']);

    const second = await chatToolLoop({
      ...body,
      messages: [
        ...messages,
        {
          role: 'assistant',
          content: '',
          tool_calls: first.calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
        },
        ...first.calls.map((c) => ({
          role: 'tool',
          content: 'Error executing tool',
          tool_call_id: c.id,
        })),
      ],
    });
    expect(second.finish).toBe('stop');
    expect(second.calls).toEqual([]);
    expect(second.text.length).toBeGreaterThan(0);
  });

  it('provider anthropic: its prompt-caching beta header and marks, no tool_choice', async () => {
    const headers = { 'anthropic-beta': 'prompt-caching-2024-07-31' };
    const base = {
      model: 'model-router',
      max_tokens: 32000,
      system: [
        {
          type: 'text' as const,
          text: 'You are an agent in the Continue CLI.',
          cache_control: { type: 'ephemeral' as const },
        },
      ],
      tools: tools.map((t) => ({
        name: t.function.name,
        description: t.function.description,
        input_schema: t.function.parameters as Anthropic.Tool.InputSchema,
      })),
    };
    const prompt: Anthropic.MessageParam = {
      role: 'user',
      content: [{ type: 'text', text: PROMPT, cache_control: { type: 'ephemeral' } }],
    };
    const first = await anthropic.messages
      .stream({ ...base, messages: [prompt] }, { headers })
      .finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const uses = first.content.filter((b) => b.type === 'tool_use');
    expect(uses.map((u) => u.name).sort()).toEqual(['Bash', 'Read']);

    const second = await anthropic.messages
      .stream(
        {
          ...base,
          messages: [
            prompt,
            { role: 'assistant', content: uses },
            {
              role: 'user',
              content: uses.map((u) => ({
                type: 'tool_result' as const,
                tool_use_id: u.id,
                content: 'Error executing tool',
              })),
            },
          ],
        },
        { headers },
      )
      .finalMessage();
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]?.type).toBe('text');
  });
});
