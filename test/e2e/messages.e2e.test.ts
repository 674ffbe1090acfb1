// The official `@anthropic-ai/sdk` against the BUILT router's `/v1/messages` (simulated fleet):
// text, streaming, tools, router and concrete deployments, Anthropic-shaped errors.
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { countPromptTokens } from '../../src/core/prompt-text.js';
import { messagesToChat } from '../../src/http/anthropic/messages-convert.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: Anthropic;

beforeAll(async () => {
  const input = testConfigInput();
  // Breaks every stream after its first tokens (for the mid-stream error below).
  input.deployments.push(
    simDeployment('dropper', {
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        failure: { kind: 'drop-mid-stream', rate: 1 },
      },
    }),
  );
  server = await spawnServer(input);
  client = new Anthropic({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('Anthropic Messages through the router', () => {
  it('a router deployment and a concrete deployment answer in Anthropic shape with the served model', async () => {
    const msg = await client.messages.create({
      model: 'model-router',
      max_tokens: 256,
      system: 'Be terse.',
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.model).toBe('small-sim');
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.content[0]?.type).toBe('text');
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
    const direct = await client.messages.create({
      model: 'big',
      max_tokens: 64,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
    expect(direct.model).toBe('big-sim');
  });

  it('streams message_start … message_stop and the SDK assembles the text', async () => {
    const stream = client.messages.stream({
      model: 'model-router',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Tell me a story' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).toContain('content_block_delta');
    expect(final.model).toBe('small-sim');
    expect((final.content[0] as { text: string }).text.length).toBeGreaterThan(0);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('tools: tool_use blocks with parsed input, streamed or not, and a tool_result turn', async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: 'get_weather',
        description: 'Weather',
        input_schema: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
    ];
    const msg = await client.messages.create({
      model: 'model-router',
      max_tokens: 256,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    const use = msg.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock;
    expect(use.name).toBe('get_weather');
    expect(use.input).toHaveProperty('city');
    const streamed = await client.messages
      .stream({
        model: 'model-router',
        max_tokens: 256,
        tools,
        tool_choice: { type: 'tool', name: 'get_weather' },
        messages: [{ role: 'user', content: 'Weather?' }],
      })
      .finalMessage();
    expect(
      (streamed.content.find((b) => b.type === 'tool_use') as Anthropic.ToolUseBlock).input,
    ).toHaveProperty('city');
    const after = await client.messages.create({
      model: 'model-router',
      max_tokens: 256,
      tools,
      messages: [
        { role: 'user', content: 'Weather in Oslo?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: use.id, name: 'get_weather', input: use.input }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '12°C' }] },
      ],
    });
    expect(after.stop_reason).toBe('end_turn');
  });

  it('count_tokens (Claude Code calls it to decide when to compact): the count the router checks context windows with', async () => {
    const plain = {
      model: 'model-router',
      messages: [{ role: 'user' as const, content: 'Hello there' }],
    };
    const { data: counted, response } = await client.messages.countTokens(plain).withResponse();
    expect(counted.input_tokens).toBe(await countPromptTokens(messagesToChat(plain, true)));
    // The simulated fleet has no count of its own (an Anthropic deployment is asked).
    expect(response.headers.get('x-router-counted-by')).toBe('router');
    const rich = {
      ...plain,
      system: 'You are a careful assistant who answers in French.',
      tools: [
        {
          name: 'get_weather',
          description: 'The weather in a city',
          input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } },
        },
      ],
    };
    const richer = await client.messages.countTokens(rich);
    expect(richer.input_tokens).toBe(await countPromptTokens(messagesToChat(rich, true)));
    expect(richer.input_tokens).toBeGreaterThan(counted.input_tokens + 20);
    // The beta path Claude Code uses (?beta=true), and a concrete deployment.
    expect((await client.beta.messages.countTokens(rich)).input_tokens).toBe(richer.input_tokens);
    expect((await client.messages.countTokens({ ...plain, model: 'big' })).input_tokens).toBe(
      counted.input_tokens,
    );
    const missing = await client.messages
      .countTokens({ ...plain, model: 'nope' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      error: { type: 'not_found_error' },
    });
    const empty = await client.messages
      .countTokens({ model: 'model-router', messages: [] })
      .catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("lists and retrieves models in Anthropic's shape", async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m).toMatchObject({ type: 'model', display_name: m.id });
      expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['model-router', 'big', 'mid', 'small']));
    // Paged as Anthropic pages it: the SDK follows has_more / last_id to the same list.
    const paged: string[] = [];
    for await (const m of client.models.list({ limit: 2 })) paged.push(m.id);
    expect(paged).toEqual(ids);
    const first = await client.models.list({ limit: 2 });
    expect(first.data.map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect(first.has_more).toBe(true);
    const back = await client.models.list({ limit: 2, before_id: ids[3]! });
    expect(back.data.map((m) => m.id)).toEqual(ids.slice(1, 3));
    // A cursor the list does not hold pages to nothing, after it or before it.
    for (const cursor of [{ after_id: 'nope' }, { before_id: 'nope' }]) {
      const none = await client.models.list({ limit: 2, ...cursor });
      expect(none.data, JSON.stringify(cursor)).toEqual([]);
      expect(none.has_more).toBe(false);
    }
    const both = await client.models
      .list({ after_id: ids[0]!, before_id: ids[2]! })
      .catch((e: unknown) => e);
    expect(both).toBeInstanceOf(Anthropic.BadRequestError);
    const bad = await client.models.list({ limit: 0 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await client.models.retrieve('model-router')).toMatchObject({
      type: 'model',
      id: 'model-router',
    });
    const missing = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });

  it('errors use Anthropic error types with the status kept', async () => {
    const missing = await client.messages
      .create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect((missing as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
    const bad = await client.messages
      .create({ model: 'model-router', messages: [{ role: 'user', content: 'x' }] } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { type: 'invalid_request_error' },
    });
    // An Anthropic API the router does not serve: a 404 in Anthropic's envelope too.
    const skills = await client.skills.list().catch((e: unknown) => e);
    expect(skills).toBeInstanceOf(Anthropic.NotFoundError);
    expect((skills as InstanceType<typeof Anthropic.NotFoundError>).error).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No route for GET /v1/skills' },
      request_id: (skills as InstanceType<typeof Anthropic.NotFoundError>).requestID,
    });
  });

  it('document blocks: text documents reach any provider as text; a PDF only where files are read', async () => {
    const note = {
      type: 'document' as const,
      title: 'Notes',
      source: {
        type: 'text' as const,
        media_type: 'text/plain' as const,
        data: 'The sky is green. '.repeat(20),
      },
    };
    const question = { type: 'text' as const, text: 'What colour is the sky?' };
    const answer = await client.messages.create({
      model: 'model-router',
      max_tokens: 50,
      messages: [{ role: 'user', content: [note, question] }],
    });
    expect(answer.content[0]!.type).toBe('text');
    // The router reads the document's text: it counts in the prompt (120 tokens more).
    const count = (content: Anthropic.ContentBlockParam[]) =>
      client.messages.countTokens({ model: 'model-router', messages: [{ role: 'user', content }] });
    const withNote = (await count([note, question])).input_tokens;
    const without = (await count([question])).input_tokens;
    expect(withNote - without).toBeGreaterThan(100);
    const pdf = await client.messages
      .create({
        model: 'model-router',
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              },
              { type: 'text', text: 'Summarise' },
            ],
          },
        ],
      })
      .catch((e: unknown) => e);
    // This fleet's deployments have vision, so they read files (a vision model reads PDFs unless
    // capabilities.files says otherwise); what Claude and OpenAI upstreams get is in
    // prompt-caching.e2e.test.ts.
    expect((pdf as Anthropic.Message).content[0]!.type).toBe('text');
    const byUrl = await client.messages
      .create({
        model: 'model-router',
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'url', url: 'https://x.test/a.pdf' } }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(byUrl).toBeInstanceOf(Anthropic.BadRequestError);
    expect((byUrl as Error).message).toContain(
      'messages.0.content.0: document blocks with a url source are not supported by this router',
    );
  });

  it("Claude Code's request shape (beta path, a system message mid-conversation, context_management, tools) streams an answer", async () => {
    // As Claude Code 2.1 sends its first request (`?beta=true`, its beta headers); before, a 400:
    // `messages.1.role must be "user" or "assistant"`.
    const tools = Array.from({ length: 8 }, (_, i) => ({
      name: `Tool${i}`,
      description: `Tool number ${i}. `.repeat(200),
      input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } },
    }));
    const { data: stream, response } = await client.beta.messages
      .create(
        {
          model: 'model-router',
          max_tokens: 1024,
          stream: true,
          betas: ['claude-code-20250219', 'mid-conversation-system-2026-04-07'],
          system: [{ type: 'text', text: 'You are a coding agent.' }],
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'Say hello' }] },
            { role: 'system', content: 'Available agent types: Explore, Plan.' },
          ] as unknown as Anthropic.Beta.BetaMessageParam[],
          tools,
          context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        },
        { headers: { 'x-claude-code-session-id': 's-1' } },
      )
      .withResponse();
    const events: Anthropic.Beta.BetaRawMessageStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events[0]?.type).toBe('message_start');
    expect(events.at(-1)?.type).toBe('message_stop');
    // The prompt count up front includes the tools' definitions (≈8 × 700 tokens), as billed.
    const start = events[0] as Anthropic.Beta.BetaRawMessageStartEvent;
    expect(start.message.usage.input_tokens).toBeGreaterThan(8 * 500);
    // The simulated fleet takes no context editing: said, not silently dropped.
    expect(response.headers.get('x-router-warnings')).toMatch(/context_management dropped/);
  });

  it('@anthropic-ai/sdk 1.17 error messages: the API message with error_code, request_id, path and type; err.request', async () => {
    const refused = await client.messages
      .create({
        model: 'model-router',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
        thread: { id: 'thr_1' },
      } as never)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    const err = refused as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err.requestID).toMatch(/^req_/);
    expect(err.message).toBe(
      `400 ${err.apiMessage} (error_code: thread_unsupported_request, request_id: ${err.requestID}, path: /v1/messages, type: invalid_request_error)`,
    );
    expect(err.request).toEqual({ method: 'post', url: `${server.baseUrl}/v1/messages` });
  });

  it('a stream the upstream breaks mid-way ends in an APIError of the error event (1.17 raises APIConnectionError only for a dropped connection)', async () => {
    const stream = client.messages.stream({
      model: 'dropper',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Tell me a long story' }],
    });
    let text = '';
    stream.on('text', (t) => (text += t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).not.toBeInstanceOf(Anthropic.APIConnectionError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: expect.stringMatching(/_error$/) },
    });
    expect(text.length).toBeGreaterThan(0);
  });

  it("messages.parse with 1.17's schemas: a description beside a $ref is sent, taken and answered", async () => {
    const Address = z.object({ city: z.string(), zip: z.string() });
    const Person = z.object({
      home: Address.describe('Where they live'),
      work: Address.describe('Where they work'),
      nickname: z.string().optional().describe('What friends call them'),
    });
    const format = zodOutputFormat(Person);
    // What 1.17 changed: the description now rides beside the $ref (it was dropped).
    expect((format.schema as { properties: Record<string, unknown> }).properties.home).toEqual({
      $ref: expect.stringMatching(/^#\/\$defs\//),
      description: 'Where they live',
    });
    const answer = await client.messages.parse({
      model: 'model-router',
      max_tokens: 500,
      messages: [{ role: 'user', content: 'A person, please' }],
      output_config: { format },
    });
    expect(Person.parse(answer.parsed_output)).toEqual(answer.parsed_output);
  });
});
