// The official clients' public surface as a demanding user drives it, against the BUILT server:
// the `openai` SDK's helpers (chat.completions.parse / stream / runTools, responses.parse /
// stream), its typed errors and retries, requests the router took although OpenAI and Anthropic
// refuse them, so that the answer depended on which model routing picked (found by an audit of
// both SDKs against `npm start`), and what OpenAI echoes or streams that the router left out.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashApiKey } from '../../src/auth/api-key.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';
import { waitFor } from '../helpers/wait-for.js';

const KEY = 'sk-sdk-surface';
const POOR_KEY = 'sk-sdk-surface-poor';
let server: SpawnedServer;
let client: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  const input = testConfigInput({
    auth: {
      mode: 'keys',
      keys: [
        { id: 'user', hash: hashApiKey(KEY), tenant: 'acme' },
        // Spent by its first answer.
        { id: 'poor', hash: hashApiKey(POOR_KEY), tenant: 'thrift', budget: { dailyUsd: 1e-9 } },
      ],
    },
  });
  input.deployments.push(
    simDeployment('limited', {
      simulation: {
        ttftMs: 0,
        tokensPerSecond: 1_000_000,
        failure: { kind: '429', rate: 1, retryAfterSeconds: 1 },
      },
    }),
  );
  server = await spawnServer(input);
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

const ask = [{ role: 'user' as const, content: 'What is the weather in Oslo?' }];
const Person = z.object({ name: z.string(), age: z.number().int() });
const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("the openai SDK's helpers", () => {
  it('chat.completions.parse: a zod response format and zod function tools come back parsed', async () => {
    const answer = await client.chat.completions.parse({
      model: 'model-router',
      messages: [{ role: 'user', content: 'A person, please' }],
      response_format: zodResponseFormat(Person, 'person'),
    });
    expect(answer.model).toMatch(/-sim$/);
    expect(Person.parse(answer.choices[0]!.message.parsed)).toEqual(
      answer.choices[0]!.message.parsed,
    );
    const called = await client.chat.completions.parse({
      model: 'model-router',
      messages: ask,
      tools: [zodFunction({ name: 'get_weather', parameters: z.object({ city: z.string() }) })],
      tool_choice: 'required',
    });
    const call = called.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && call.function.parsed_arguments).toEqual(
      JSON.parse(call.type === 'function' ? call.function.arguments : ''),
    );
  });

  it('chat.completions.stream: its events, and finalChatCompletion assembled with the served model and usage', async () => {
    const stream = client.chat.completions.stream({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream_options: { include_usage: true },
    });
    let deltas = '';
    let done = '';
    stream.on('content.delta', (e) => (deltas += e.delta));
    stream.on('content.done', (e) => (done = e.content));
    const final = await stream.finalChatCompletion();
    expect(final.model).toMatch(/-sim$/);
    expect(deltas.length).toBeGreaterThan(0);
    expect(final.choices[0]!.message.content).toBe(deltas);
    expect(done).toBe(deltas);
    expect(final.usage!.total_tokens).toBe(
      final.usage!.prompt_tokens + final.usage!.completion_tokens,
    );
  });

  it('chat.completions.runTools: calls the tool, sends its result and ends in an answer', async () => {
    const cities: string[] = [];
    const runner = client.chat.completions.runTools({
      model: 'model-router',
      messages: ask,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parse: JSON.parse,
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            function: (args: { city: string }) => {
              cities.push(args.city);
              return '12°C';
            },
          },
        },
      ],
    });
    const content = await runner.finalContent();
    expect(cities).toHaveLength(1);
    expect(runner.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(content!.length).toBeGreaterThan(0);
    expect((await runner.totalUsage()).completion_tokens).toBeGreaterThan(0);
  });

  it('responses.parse and responses.stream: output_parsed from a zod text format', async () => {
    const parsed = await client.responses.parse({
      model: 'model-router',
      input: 'A person, please',
      text: { format: zodTextFormat(Person, 'person') },
    });
    expect(Person.parse(parsed.output_parsed)).toEqual(parsed.output_parsed);
    const stream = client.responses.stream({
      model: 'model-router',
      input: 'A person, please',
      text: { format: zodTextFormat(Person, 'person') },
    });
    let text = '';
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(text);
    expect(final.output_parsed).toEqual(JSON.parse(text));
    expect(final.usage!.output_tokens).toBeGreaterThan(0);
  });
});

describe('typed errors and retries', () => {
  it("a 429 is a RateLimitError, retried by the SDK after the router's retry-after", async () => {
    let calls = 0;
    const retrying = new OpenAI({
      baseURL: `${server.baseUrl}/v1`,
      apiKey: KEY,
      maxRetries: 1,
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    });
    const err = await caught(retrying.chat.completions.create({ model: 'limited', messages: ask }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after')).toBe(
      '1',
    );
    expect(calls).toBe(2);
  });

  it('a spent budget is a RateLimitError the SDKs do not retry (they sent it three times)', async () => {
    let calls = 0;
    const counted = (url: string | URL | Request, init?: RequestInit) => {
      calls++;
      return fetch(url, init);
    };
    const poor = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: POOR_KEY, fetch: counted });
    // The first answer spends the budget (settled when it ends); the next request is refused.
    let err: unknown;
    for (let i = 0; i < 5 && !err; i++) {
      calls = 0;
      err = await caught(poor.chat.completions.create({ model: 'small', messages: ask }));
    }
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err).toMatchObject({ code: 'budget_exceeded' });
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('x-should-retry')).toBe(
      'false',
    );
    expect(calls).toBe(1);
    calls = 0;
    const claude = new Anthropic({ baseURL: server.baseUrl, apiKey: POOR_KEY, fetch: counted });
    const refused = await caught(
      claude.messages.create({ model: 'small', max_tokens: 64, messages: ask }),
    );
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(calls).toBe(1);
  });

  it("Anthropic's models API answers a wrong key in Anthropic's envelope (it was OpenAI's)", async () => {
    const stranger = new Anthropic({ baseURL: server.baseUrl, apiKey: 'wrong', maxRetries: 0 });
    // Each call made when awaited: a second promise made up front would reject with no handler yet.
    for (const call of [
      () => stranger.models.list(),
      () => stranger.models.retrieve('model-router'),
    ]) {
      const err = (await caught(call())) as InstanceType<typeof Anthropic.AuthenticationError>;
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect(err.error).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: expect.any(String) },
        request_id: err.requestID,
      });
    }
    // Its 404 names its request too, as Anthropic's errors do.
    const missing = (await caught(anthropic.models.retrieve('nope'))) as InstanceType<
      typeof Anthropic.NotFoundError
    >;
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing.error).toMatchObject({
      error: { type: 'not_found_error' },
      request_id: missing.requestID,
    });
    // OpenAI's clients keep OpenAI's envelope.
    const openai = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'wrong', maxRetries: 0 });
    const err = await caught(openai.models.list());
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err).toMatchObject({ code: 'invalid_api_key' });
  });
});

describe('requests OpenAI and Anthropic refuse are refused whichever model would serve (they were served)', () => {
  const refused = async (p: Promise<unknown>, param: string) => {
    const err = await caught(p);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, param });
  };

  it('chat and completions: temperature above 2, top_p above 1, penalties outside -2..2 (the Claude conversion clamped or dropped them)', async () => {
    await refused(
      client.chat.completions.create({ model: 'model-router', messages: ask, temperature: 5 }),
      'temperature',
    );
    await refused(
      client.chat.completions.create({ model: 'model-router', messages: ask, top_p: 7 }),
      'top_p',
    );
    for (const penalty of ['presence_penalty', 'frequency_penalty'] as const)
      await refused(
        client.chat.completions.create({ model: 'model-router', messages: ask, [penalty]: -3 }),
        penalty,
      );
    await refused(
      client.completions.create({ model: 'model-router', prompt: 'hi', temperature: 9 }),
      'temperature',
    );
    // The bounds themselves are served.
    const edge = await client.chat.completions.create({
      model: 'model-router',
      messages: ask,
      temperature: 2,
      top_p: 1,
      presence_penalty: 2,
      frequency_penalty: -2,
    });
    expect(edge.choices).toHaveLength(1);
  });

  it('chat: parallel_tool_calls and stream_options.include_usage must be booleans', async () => {
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        parallel_tool_calls: 'yes' as unknown as boolean,
      }),
      'parallel_tool_calls',
    );
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        stream: true,
        stream_options: { include_usage: 'yes' as unknown as boolean },
      }),
      'stream_options.include_usage',
    );
  });

  it("a JSON schema output format without its name: chat's and Responses' (OpenAI requires it)", async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        response_format: {
          type: 'json_schema',
          json_schema: { schema } as unknown as OpenAI.ResponseFormatJSONSchema['json_schema'],
        },
      }),
      'response_format.json_schema.name',
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        text: {
          format: {
            type: 'json_schema',
            schema,
          } as unknown as OpenAI.Responses.ResponseFormatTextJSONSchemaConfig,
        },
      }),
      'text.format.name',
    );
  });

  it('a tool_choice that requires a tool call in a request with no tools (it was answered in text)', async () => {
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        tool_choice: 'required',
      }),
      'tool_choice',
    );
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        tools: [],
        tool_choice: 'required',
      }),
      'tool_choice',
    );
    await refused(
      client.responses.create({ model: 'model-router', input: 'hi', tool_choice: 'required' }),
      'tool_choice',
    );
    const anthropicErr = (await caught(
      anthropic.messages.create({
        model: 'model-router',
        max_tokens: 64,
        messages: ask,
        tool_choice: { type: 'any' },
      }),
    )) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(anthropicErr).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicErr.error).toMatchObject({
      error: { type: 'invalid_request_error', message: expect.stringContaining('tool_choice') },
    });
    // auto and none ask for nothing a tool-less request cannot give, and are served.
    const auto = await client.chat.completions.create({
      model: 'model-router',
      messages: ask,
      tool_choice: 'auto',
    });
    expect(auto.choices[0]!.finish_reason).toBe('stop');
  });

  it("a reasoning level OpenAI does not have, on chat, Responses and Azure's client (the plain models dropped it)", async () => {
    const unknown = 'extreme' as OpenAI.ReasoningEffort;
    await refused(
      client.chat.completions.create({
        model: 'model-router',
        messages: ask,
        reasoning_effort: unknown,
      }),
      'reasoning_effort',
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        reasoning: { effort: unknown },
      }),
      'reasoning.effort',
    );
    const azure = new AzureOpenAI({
      baseURL: `${server.baseUrl}/openai`,
      apiVersion: '2024-10-21',
      deployment: 'small',
      apiKey: KEY,
      maxRetries: 0,
    });
    const err = await caught(
      azure.chat.completions.create({ model: '', messages: ask, reasoning_effort: unknown }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ param: 'reasoning_effort', code: 'invalid_value' });
    expect((err as Error).message).toContain("Supported values are: 'none', 'minimal'");
  });

  it('a fifth stop sequence on chat and completions; Anthropic sets no count on stop_sequences', async () => {
    const five = ['one', 'two', 'three', 'four', 'five'];
    await refused(
      client.chat.completions.create({ model: 'model-router', messages: ask, stop: five }),
      'stop',
    );
    await refused(
      client.completions.create({ model: 'model-router', prompt: 'Count', stop: five }),
      'stop',
    );
    const four = await client.chat.completions.create({
      model: 'model-router',
      messages: ask,
      stop: five.slice(0, 4),
    });
    expect(four.choices).toHaveLength(1);
    const claude = await anthropic.messages.create({
      model: 'small',
      max_tokens: 64,
      messages: ask,
      stop_sequences: five,
    });
    expect(claude.stop_reason).not.toBeNull();
  });

  it("field limits of OpenAI's spec on chat, Azure's client and Responses: safety_identifier, metadata, logit_bias, stop: []", async () => {
    const long = 's'.repeat(65);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    const azure = new AzureOpenAI({
      endpoint: server.baseUrl,
      apiKey: KEY,
      apiVersion: '2025-04-01-preview',
      deployment: 'small',
      maxRetries: 0,
    });
    for (const chat of [client.chat.completions, azure.chat.completions]) {
      const model = chat === client.chat.completions ? 'model-router' : 'small';
      await refused(
        chat.create({ model, messages: ask, safety_identifier: long }),
        'safety_identifier',
      );
      await refused(chat.create({ model, messages: ask, metadata: many }), 'metadata');
      await refused(
        chat.create({ model, messages: ask, metadata: { note: 'x'.repeat(513) } }),
        'metadata.note',
      );
      await refused(
        chat.create({ model, messages: ask, logit_bias: { '50256': 101 } }),
        'logit_bias.50256',
      );
      await refused(chat.create({ model, messages: ask, stop: [] }), 'stop');
    }
    await refused(
      client.completions.create({ model: 'model-router', prompt: 'Count', stop: [] }),
      'stop',
    );
    await refused(
      client.responses.create({ model: 'model-router', input: 'hi', safety_identifier: long }),
      'safety_identifier',
    );
    await refused(
      client.responses.create({ model: 'model-router', input: 'hi', metadata: many }),
      'metadata',
    );
    // At the limits, served.
    const served = await client.chat.completions.create({
      model: 'model-router',
      messages: ask,
      safety_identifier: 's'.repeat(64),
      metadata: { ...Object.fromEntries(Object.entries(many).slice(0, 16)), k0: 'x'.repeat(512) },
      logit_bias: { '50256': -100 },
    });
    expect(served.choices).toHaveLength(1);
    // Anthropic takes an empty stop_sequences (no stop sequences).
    const claude = await anthropic.messages.create({
      model: 'small',
      max_tokens: 64,
      messages: ask,
      stop_sequences: [],
    });
    expect(claude.stop_reason).toBe('end_turn');
  });

  it('Messages: a client tool without input_schema (Anthropic requires it; the others took it)', async () => {
    const err = (await caught(
      anthropic.messages.create({
        model: 'model-router',
        max_tokens: 64,
        messages: ask,
        tools: [{ name: 'get_weather' } as Anthropic.Tool],
      }),
    )) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('tools.0.input_schema: Field required'),
      },
    });
  });

  it('Messages: a tool_result that answers no tool_use of the turn before', async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: 'Let me think.' },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_none', content: '12°C' }],
      },
    ];
    const orphan = (await caught(
      anthropic.messages.create({ model: 'model-router', max_tokens: 64, messages }),
    )) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(orphan).toBeInstanceOf(Anthropic.BadRequestError);
    expect(orphan.error).toMatchObject({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('messages.2.content.0: unexpected `tool_use_id`'),
      },
    });
    // A token count runs nothing, and counts it.
    const counted = await anthropic.messages.countTokens({ model: 'model-router', messages });
    expect(counted.input_tokens).toBeGreaterThan(0);
    // The same result after the turn that made the call (a system message between) is served.
    const answered = await anthropic.messages.create({
      model: 'model-router',
      max_tokens: 64,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }],
        },
        // Claude Code's mid-conversation system message.
        { role: 'system', content: 'Be brief.' } as unknown as Anthropic.MessageParam,
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12°C' }],
        },
      ],
    });
    expect(answered.stop_reason).not.toBeNull();
  });
});

describe('what OpenAI echoes and streams', () => {
  it('chat stream with include_usage: "usage": null on every chunk, the usage on the last', async () => {
    const stream = await client.chat.completions.create({
      model: 'model-router',
      messages: [{ role: 'user', content: 'Tell me a story' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
  });

  it('a Response echoes user, safety_identifier, service_tier and the rest: created, retrieved, streamed', async () => {
    const sent = {
      user: 'user-1234',
      safety_identifier: 'safety-identifier-1234',
      prompt_cache_key: 'key-1234',
      service_tier: 'flex',
      truncation: 'auto',
      max_tool_calls: 2,
      metadata: { team: 'blue' },
      parallel_tool_calls: false,
      text: { verbosity: 'low' },
    } as const;
    const echoed = { ...sent, text: { format: { type: 'text' }, verbosity: 'low' } };
    const created = await client.responses.create({ model: 'model-router', input: 'hi', ...sent });
    expect(created).toMatchObject(echoed);
    expect(await client.responses.retrieve(created.id)).toMatchObject(echoed);
    const stream = client.responses.stream({ model: 'model-router', input: 'hi', ...sent });
    let first: unknown;
    stream.on('response.created', (e) => (first ??= e.response));
    const final = await stream.finalResponse();
    expect(first).toMatchObject(echoed);
    expect(final).toMatchObject(echoed);
  });

  it('completed_at: set (unix seconds) once completed, created, retrieved, streamed and in the background; null before', async () => {
    const created = await client.responses.create({ model: 'model-router', input: 'hi' });
    expect(created.status).toBe('completed');
    expect(Number.isInteger(created.completed_at)).toBe(true);
    expect(created.completed_at!).toBeGreaterThanOrEqual(created.created_at);
    expect((await client.responses.retrieve(created.id)).completed_at).toBe(created.completed_at);
    const stream = client.responses.stream({ model: 'model-router', input: 'hi' });
    let first: OpenAI.Responses.Response | undefined;
    stream.on('response.created', (e) => (first ??= e.response));
    const final = await stream.finalResponse();
    expect(first?.completed_at).toBeNull();
    expect(final.completed_at!).toBeGreaterThanOrEqual(final.created_at);
    const queued = await client.responses.create({
      model: 'model-router',
      input: 'hi',
      background: true,
    });
    expect(queued.completed_at).toBeNull();
    let polled = queued;
    while (polled.status === 'queued' || polled.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 10));
      polled = await client.responses.retrieve(queued.id);
    }
    expect(polled.status).toBe('completed');
    expect(polled.completed_at!).toBeGreaterThanOrEqual(polled.created_at);
  });
});

describe("the newest SDKs' request fields (openai 7.60, @anthropic-ai/sdk 1.17)", () => {
  it('responses background_options (openai 7.58): a 2h window runs in the background; one OpenAI refuses is a 400 whichever model would serve (it was served)', async () => {
    const queued = await client.responses.create({
      model: 'model-router',
      input: 'hi',
      background: true,
      background_options: { completion_window: '2h', continuation_id: 'nightly-report' },
    });
    expect(queued.status).toBe('queued');
    const done = await waitFor(async () => {
      const r = await client.responses.retrieve(queued.id);
      expect(r.status).toBe('completed');
      return r;
    });
    expect(done.output_text.length).toBeGreaterThan(0);
    const soonest = await client.responses.create({
      model: 'model-router',
      input: 'hi',
      background_options: { completion_window: 'soonest' },
    });
    expect(soonest.status).toBe('completed');

    const refused = async (p: Promise<unknown>, param: string, words: RegExp) => {
      const err = await caught(p);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, param });
      expect((err as Error).message).toMatch(words);
    };
    const window = 'background_options.completion_window';
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        background_options: { completion_window: '8h' },
      }),
      window,
      /needs background: true/,
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        background: true,
        stream: true,
        background_options: { completion_window: '2h' },
      }),
      window,
      /cannot be streamed/,
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        background: true,
        service_tier: 'priority',
        background_options: { completion_window: '2h' },
      }),
      window,
      /Standard processing/,
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        background: true,
        background_options: { completion_window: '3h' as '2h' },
      }),
      window,
      /'soonest', '2h', '8h'|soonest.*2h.*8h/,
    );
    await refused(
      client.responses.create({
        model: 'model-router',
        input: 'hi',
        background_options: { continuation_id: 7 as unknown as string },
      }),
      'background_options.continuation_id',
      /must be a string/,
    );
  });
});

describe('configuration_update input items (LangChain 1.5.12+ sends them)', () => {
  const Plan = z.object({ steps: z.array(z.string()) });

  it("the last update's text.format and reasoning.effort are the answer's; a bad one is a 400 naming it", async () => {
    const answer = await client.responses.create({
      model: 'model-router',
      input: [
        { role: 'user', content: 'Draft a plan.' },
        { role: 'assistant', content: 'First, list the steps.' },
        { type: 'configuration_update', text: { format: zodTextFormat(Plan, 'plan') } },
        { role: 'user', content: 'Now as JSON.' },
      ],
    });
    expect(Plan.parse(JSON.parse(answer.output_text)).steps).toBeInstanceOf(Array);
    // A later update to plain text wins over an earlier one and over the request's own format.
    const plain = await client.responses.create({
      model: 'model-router',
      text: { format: zodTextFormat(Plan, 'plan') },
      input: [
        { type: 'configuration_update', text: { format: zodTextFormat(Plan, 'plan') } },
        { type: 'configuration_update', text: { format: { type: 'text' } } },
        { role: 'user', content: 'Now in words.' },
      ],
    });
    expect(() => JSON.parse(plain.output_text) as unknown).toThrow();
    // Its effort reached routing: `small`, asked for by name, takes no reasoning parameters.
    const err = await caught(
      client.responses.create({
        model: 'small',
        input: [
          { type: 'configuration_update', reasoning: { effort: 'high' } },
          { role: 'user', content: 'hi' },
        ],
      }),
    );
    expect(err).toMatchObject({ status: 400 });
    expect((err as Error).message).toMatch(/small: reasoning/);
    for (const [update, param] of [
      [{ reasoning: { effort: 'extreme' } }, 'input[0].reasoning.effort'],
      [{ reasoning: 'high' }, 'input[0].reasoning'],
      [{ text: { format: { type: 'json_object' } } }, 'input[0].text.format.type'],
      [{ text: { format: { type: 'json_schema', name: 'x' } } }, 'input[0].text.format.schema'],
    ] as const) {
      const bad = await caught(
        client.responses.create({
          model: 'model-router',
          input: [
            { type: 'configuration_update', ...update } as OpenAI.Responses.ResponseInputItem,
            { role: 'user', content: 'hi' },
          ],
        }),
      );
      expect(bad, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect(bad, param).toMatchObject({ status: 400, param });
    }
  });

  it('additional_tools items (the AI SDK sends them): a bad role or tool list is a 400 naming it', async () => {
    for (const [item, param] of [
      [{ type: 'additional_tools', role: 'user', tools: [] }, 'input[0].role'],
      [{ type: 'additional_tools', role: 'developer' }, 'input[0].tools'],
      [
        { type: 'additional_tools', role: 'developer', tools: ['get_weather'] },
        'input[0].tools[0]',
      ],
    ] as const) {
      const bad = await caught(
        client.responses.create({
          model: 'model-router',
          input: [
            item as unknown as OpenAI.Responses.ResponseInputItem,
            { role: 'user', content: 'hi' },
          ],
        }),
      );
      expect(bad, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect(bad, param).toMatchObject({ status: 400, param });
    }
  });
});
