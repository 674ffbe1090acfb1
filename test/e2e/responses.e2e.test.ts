// The official `openai` SDK's Responses client against the BUILT router (simulated fleet):
// text, streaming events, function tools, multi-turn with previous_response_id, retrieve and
// delete, store: false, errors, background mode (polled, streamed and resumed, cancelled).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  // `slow` holds its first token for ten minutes: a background response caught running.
  const config = testConfigInput();
  const slow = simDeployment('slow', {
    simulation: { ttftMs: 600_000, tokensPerSecond: 1_000_000, answerTokens: 20 },
    firstTokenTimeoutMs: 600_000,
  });
  server = await spawnServer({ ...config, deployments: [...config.deployments, slow] });
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

describe('Responses API through the router', () => {
  it('answers text with the served model and usage, and continues with previous_response_id', async () => {
    const first = await client.responses.create({
      model: 'model-router',
      instructions: 'Be brief.',
      input: 'What is 2+2?',
    });
    expect(first.object).toBe('response');
    expect(first.status).toBe('completed');
    expect(first.model).toBe('small-sim');
    expect(first.output_text.length).toBeGreaterThan(0);
    expect(first.usage?.input_tokens).toBeGreaterThan(0);
    expect(first.usage?.output_tokens).toBeGreaterThan(0);
    const second = await client.responses.create({
      model: 'model-router',
      input: 'And times three?',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    // The second turn carried the whole conversation: more input tokens than the first.
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    const direct = await client.responses.create({
      model: 'big',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello' }] }],
    });
    expect(direct.model).toBe('big-sim');
  });

  it('streams the documented events in order, ending with response.completed', async () => {
    const stream = await client.responses.create({
      model: 'model-router',
      input: 'Tell me a story',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let done: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') done = event.response;
    }
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_text.done');
    expect(done?.model).toBe('small-sim');
    expect(
      done?.output_text ?? (done?.output[0] as { content: { text: string }[] }).content[0]!.text,
    ).toBe(text);
    expect(done?.usage?.output_tokens).toBeGreaterThan(0);
  });

  it('function tools: a function_call item, then its output in the next turn', async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
        strict: true,
      },
    ];
    const r = await client.responses.create({
      model: 'model-router',
      input: 'Weather in Oslo?',
      tools,
      tool_choice: 'required',
    });
    const call = r.output.find(
      (o) => o.type === 'function_call',
    ) as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toHaveProperty('city');
    const next = await client.responses.create({
      model: 'model-router',
      previous_response_id: r.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '12°C' }],
      tools,
    });
    expect(next.status).toBe('completed');
    expect(next.output_text.length).toBeGreaterThan(0);
    const streamed = await client.responses.create({
      model: 'model-router',
      input: 'Weather in Oslo?',
      tools,
      tool_choice: 'required',
      stream: true,
    });
    let args = '';
    let doneArgs = '';
    for await (const e of streamed) {
      if (e.type === 'response.function_call_arguments.delta') args += e.delta;
      if (e.type === 'response.function_call_arguments.done') doneArgs = e.arguments;
    }
    expect(args).toBe(doneArgs);
    expect(JSON.parse(doneArgs)).toHaveProperty('city');
  });

  it('retrieves and deletes a stored response; store: false keeps nothing', async () => {
    const created = await client.responses.create({ model: 'model-router', input: 'What is 2+2?' });
    const got = await client.responses.retrieve(created.id);
    expect(got.id).toBe(created.id);
    expect(got.output).toEqual(created.output);
    expect(got.model).toBe('small-sim');
    // A streamed response is stored as its response.completed event carried it.
    const stream = await client.responses.create({
      model: 'model-router',
      input: 'Tell me a story',
      stream: true,
    });
    let completed: OpenAI.Responses.Response | undefined;
    for await (const e of stream) if (e.type === 'response.completed') completed = e.response;
    const streamed = await client.responses.retrieve(completed!.id);
    expect(streamed.output).toEqual(completed!.output);
    expect(streamed.usage).toEqual(completed!.usage);

    /** Neither retrievable nor continued. */
    const gone = async (id: string) => {
      await expect(client.responses.retrieve(id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(
        client.responses.create({
          model: 'model-router',
          input: 'Go on',
          previous_response_id: id,
        }),
      ).rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
    };
    await client.responses.delete(created.id);
    await gone(created.id);
    await expect(client.responses.delete(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const unstored = await client.responses.create({
      model: 'model-router',
      input: 'Nothing of this is kept',
      store: false,
    });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    await gone(unstored.id);
  });

  it("lists a response's own input items, newest first by default, page by page", async () => {
    const first = await client.responses.create({
      model: 'model-router',
      input: [
        { role: 'developer', content: 'Answer in one word.' },
        { role: 'user', content: 'Capital of France?' },
      ],
    });
    const second = await client.responses.create({
      model: 'model-router',
      previous_response_id: first.id,
      input: [
        { role: 'user', content: 'And of Italy?' },
        { role: 'user', content: [{ type: 'input_text', text: 'And of Spain?' }] },
        { role: 'user', content: 'And of Portugal?' },
      ],
    });
    const texts = (items: OpenAI.Responses.ResponseItem[]) =>
      items.map((i) => (i as { content: { text: string }[] }).content[0]!.text);
    const page = await client.responses.inputItems.list(second.id);
    // Only this turn's input, not the first turn's.
    expect(texts(page.data)).toEqual(['And of Portugal?', 'And of Spain?', 'And of Italy?']);
    expect(page.data[0]).toMatchObject({ type: 'message', role: 'user', status: 'completed' });
    const asc = await client.responses.inputItems.list(second.id, { order: 'asc' });
    expect(texts(asc.data)).toEqual(['And of Italy?', 'And of Spain?', 'And of Portugal?']);
    // Pages of one, followed by the SDK through `after` and `has_more`.
    const all: OpenAI.Responses.ResponseItem[] = [];
    for await (const item of client.responses.inputItems.list(second.id, { limit: 1 }))
      all.push(item);
    expect(all.map((i) => i.id)).toEqual(page.data.map((i) => i.id));
    expect(new Set(all.map((i) => i.id)).size).toBe(3);
    const firstItems = await client.responses.inputItems.list(first.id, { order: 'asc' });
    expect(firstItems.data.map((i) => (i as { role: string }).role)).toEqual(['developer', 'user']);
    await expect(
      client.responses.inputItems.list(second.id, { order: 'sideways' as never }),
    ).rejects.toMatchObject({ status: 400, param: 'order' });
  });

  it('errors keep the OpenAI shape: unknown previous_response_id and missing input', async () => {
    await expect(
      client.responses.create({
        model: 'model-router',
        input: 'x',
        previous_response_id: 'resp_nope',
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'previous_response_id',
    });
    await expect(client.responses.create({ model: 'model-router' } as never)).rejects.toMatchObject(
      { status: 400, param: 'input' },
    );
  });
});

describe('Responses API background mode through the router', () => {
  const running = async () =>
    (
      (await (await fetch(`${server.baseUrl}/readyz`)).json()) as {
        background_responses: { running: number };
      }
    ).background_responses.running;

  it('answers queued at once, then the poll finds it completed', async () => {
    const created = await client.responses.create({
      model: 'model-router',
      input: 'What is 2+2?',
      background: true,
    });
    expect(created.status).toBe('queued');
    expect(created.background).toBe(true);
    let done = created;
    while (done.status === 'queued' || done.status === 'in_progress')
      done = await client.responses.retrieve(created.id);
    expect(done.status).toBe('completed');
    expect(done.output_text.length).toBeGreaterThan(0);
    expect(done.model).toBe('small-sim');
    await expect(
      client.responses.create({ model: 'small', input: 'x', background: true, store: false }),
    ).rejects.toMatchObject({ status: 400, param: 'store' });
  });

  it('cancel stops a running one (its upstream call ends) and leaves it cancelled', async () => {
    const created = await client.responses.create({
      model: 'slow',
      input: 'Take your time',
      background: true,
    });
    let now = created;
    while (now.status === 'queued') now = await client.responses.retrieve(created.id);
    expect(now.status).toBe('in_progress');
    expect(await running()).toBe(1);
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    // The simulated upstream was holding its first token for ten minutes: the run ended now.
    while ((await running()) > 0) await new Promise((r) => setTimeout(r, 10));
    expect((await client.responses.retrieve(created.id)).status).toBe('cancelled');
    await expect(client.responses.cancel('resp_nope')).rejects.toMatchObject({ status: 404 });
  });

  it('streams with background: true, and the stream resumes after a sequence number', async () => {
    const stream = await client.responses.create({
      model: 'small',
      input: 'Tell me a story',
      background: true,
      stream: true,
    });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events[0]?.type).toBe('response.created');
    expect(events.at(-1)?.type).toBe('response.completed');
    const id = (events[0] as OpenAI.Responses.ResponseCreatedEvent).response.id;
    const resumed = (await client.responses.retrieve(id, {
      stream: true,
      starting_after: 2,
    })) as unknown as AsyncIterable<OpenAI.Responses.ResponseStreamEvent>;
    const again: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of resumed) again.push(event);
    expect(again).toEqual(events.slice(3));
  });
});
