// Native Responses pass-through: a deployment whose upstream speaks the Responses API
// (`capabilities.responsesApi`) gets the client's request on its own `/responses`, and the client
// (the official `openai` SDK) gets the upstream's Response and events as they came (here: a
// reasoning item that bridging could not produce), re-badged with the router's id and the served
// model. A deployment without it is bridged to chat. The upstream is a loopback fake that records
// what it received.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody } from '../helpers/fake-http.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

const UPSTREAM_MODEL = 'gpt-5-upstream-2025-08-07';
const received: { path: string; body: Record<string, unknown> }[] = [];
let upstream: Server;
let server: SpawnedServer;
let client: OpenAI;

const usage = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 4 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 5 },
  total_tokens: 21,
};

function responseObject(n: number, status = 'completed') {
  return {
    id: `resp_upstream_${n}`,
    object: 'response',
    created_at: 1_760_000_000,
    status,
    model: UPSTREAM_MODEL,
    output: [
      { type: 'reasoning', id: `rs_${n}`, summary: [{ type: 'summary_text', text: 'Thinking.' }] },
      {
        type: 'message',
        id: `msg_${n}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: `native answer ${n}`, annotations: [] }],
      },
    ],
    usage: status === 'completed' ? usage : null,
  };
}

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const body = await readJsonBody(req);
    received.push({ path: req.url ?? '', body });
    const n = received.length;
    if (req.url === '/v1/responses' && body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(responseObject(n)));
    }
    if (req.url === '/v1/responses') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let seq = 0;
      const send = (type: string, payload: Record<string, unknown>) =>
        res.write(
          `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...payload })}\n\n`,
        );
      const full = responseObject(n);
      const started = { ...full, status: 'in_progress', output: [], usage: null };
      send('response.created', { response: started });
      send('response.in_progress', { response: started });
      send('response.output_item.added', {
        output_index: 0,
        item: { ...full.output[0], summary: [] },
      });
      send('response.reasoning_summary_text.delta', {
        item_id: `rs_${n}`,
        output_index: 0,
        summary_index: 0,
        delta: 'Thinking.',
      });
      send('response.output_item.done', { output_index: 0, item: full.output[0] });
      send('response.output_item.added', {
        output_index: 1,
        item: { ...full.output[1], content: [] },
      });
      send('response.content_part.added', {
        item_id: `msg_${n}`,
        output_index: 1,
        content_index: 0,
        part: { type: 'output_text', text: '' },
      });
      for (const delta of ['native ', `answer ${n}`])
        send('response.output_text.delta', {
          item_id: `msg_${n}`,
          output_index: 1,
          content_index: 0,
          delta,
        });
      send('response.output_text.done', {
        item_id: `msg_${n}`,
        output_index: 1,
        content_index: 0,
        text: `native answer ${n}`,
      });
      send('response.output_item.done', { output_index: 1, item: full.output[1] });
      send('response.completed', { response: full });
      return res.end();
    }
    // Chat Completions for the bridged deployment.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: 1_760_000_000,
        model: 'chat-upstream-model',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: `bridged answer ${n}` },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  const capabilities = {
    tools: true,
    vision: false,
    jsonSchema: true,
    reasoning: true,
    streaming: true,
  };
  const config = testConfigInput({
    deployments: [
      simDeployment('native', {
        provider: 'openai',
        model: 'gpt-5',
        baseUrl: base,
        apiKeyEnv: 'FAKE_UPSTREAM_KEY',
        capabilities: { ...capabilities, responsesApi: true },
        simulation: undefined,
      }),
      simDeployment('bridged', {
        provider: 'openai-compatible',
        model: 'chat-model',
        baseUrl: base,
        capabilities: { ...capabilities, responsesApi: false },
        simulation: undefined,
      }),
    ],
    routers: [{ name: 'model-router', modelSubset: ['native'] }],
  });
  server = await spawnServer(config, { FAKE_UPSTREAM_KEY: 'sk-fake' });
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('Responses API passed natively to upstreams that speak it', () => {
  it('JSON: the upstream gets the request on /responses and the client its Response, re-badged', async () => {
    received.length = 0;
    const first = await client.responses.create({
      model: 'native',
      instructions: 'Be brief.',
      input: 'hi',
      reasoning: { effort: 'low' },
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/v1/responses');
    expect(received[0]!.body).toMatchObject({
      model: 'gpt-5',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: 'hi' }],
      reasoning: { effort: 'low' },
      store: false,
      stream: false,
    });
    expect(first.id).toMatch(/^resp_/);
    expect(first.id).not.toBe('resp_upstream_1');
    expect(first.model).toBe(UPSTREAM_MODEL);
    expect(first.output.map((o) => o.type)).toEqual(['reasoning', 'message']); // as the upstream sent
    expect(first.output_text).toBe('native answer 1');
    expect(first.usage).toMatchObject(usage);

    // The router keeps the conversation: the upstream gets it whole, not a previous_response_id.
    const second = await client.responses.create({
      model: 'native',
      input: 'and then?',
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    expect(received[1]!.body.previous_response_id).toBeUndefined();
    expect(received[1]!.body.input).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'native answer 1' },
      { role: 'user', content: 'and then?' },
    ]);
  });

  it('stream: the upstream events arrive as they came, with the router id and served model', async () => {
    received.length = 0;
    const stream = await client.responses.create({
      model: 'model-router',
      input: 'stream it',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    let createdId = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.created') createdId = event.response.id;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(received[0]!.path).toBe('/v1/responses');
    expect(received[0]!.body.stream).toBe(true);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_text.delta',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(text).toBe('native answer 1');
    expect(createdId).toMatch(/^resp_/);
    expect(completed!.id).toBe(createdId);
    expect(completed!.model).toBe(UPSTREAM_MODEL);

    // The streamed turn was stored: a follow-up continues it.
    const next = await client.responses.create({
      model: 'native',
      input: 'more',
      previous_response_id: createdId,
    });
    expect(received[1]!.body.input).toEqual([
      { role: 'user', content: 'stream it' },
      { role: 'assistant', content: 'native answer 1' },
      { role: 'user', content: 'more' },
    ]);
    expect(next.output_text).toBe('native answer 2');
  });

  it('background: the router runs it and the upstream gets a foreground request, JSON or streamed', async () => {
    received.length = 0;
    const created = await client.responses.create({
      model: 'native',
      input: 'later',
      background: true,
      // openai 7.58: OpenAI refuses a 2h window without `background: true`, which it does not get.
      background_options: { completion_window: '2h' },
    });
    expect(created.status).toBe('queued');
    let done = created;
    while (done.status === 'queued' || done.status === 'in_progress')
      done = await client.responses.retrieve(created.id);
    // An upstream asked for background mode would have answered `queued`, and that would have
    // been taken for the answer.
    expect(received[0]!.body).not.toHaveProperty('background');
    expect(received[0]!.body).not.toHaveProperty('background_options');
    expect(done.status).toBe('completed');
    expect(done.id).toBe(created.id);
    expect(done.background).toBe(true);
    expect(done.output_text).toBe('native answer 1');

    const stream = await client.responses.create({
      model: 'native',
      input: 'stream later',
      background: true,
      stream: true,
    });
    const types: string[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(received[1]!.body).not.toHaveProperty('background');
    expect(received[1]!.body.stream).toBe(true);
    expect(types.at(-1)).toBe('response.completed');
    expect(completed!.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    const stored = await client.responses.retrieve(completed!.id);
    expect(stored).toMatchObject({ status: 'completed', background: true });
  });

  it('a deployment without native Responses support is bridged to Chat Completions', async () => {
    received.length = 0;
    const r = await client.responses.create({ model: 'bridged', input: 'hello' });
    expect(received[0]!.path).toBe('/v1/chat/completions');
    expect(r.output.map((o) => o.type)).toEqual(['message']);
    expect(r.output_text).toBe('bridged answer 1');
    expect(r.model).toBe('chat-upstream-model');
  });

  it("the upstream gets its own reasoning items back, not the ones the router wrote for Claude's thinking", async () => {
    received.length = 0;
    const claudes = {
      type: 'reasoning' as const,
      id: 'rs_claude',
      summary: [{ type: 'summary_text' as const, text: 'Plan.' }],
      encrypted_content: `mr_thinking.v1.${Buffer.from(
        JSON.stringify({
          provider: 'anthropic',
          type: 'thinking',
          thinking: 'Plan.',
          signature: 's',
        }),
      ).toString('base64url')}`,
    };
    const own = {
      type: 'reasoning' as const,
      id: 'rs_own',
      summary: [],
      encrypted_content: 'gAAAAABo-upstream-encrypted',
    };
    await client.responses.create({
      model: 'native',
      store: false,
      input: [
        { role: 'user', content: 'hi' },
        claudes,
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'and?' },
        own,
        { role: 'assistant', content: 'more' },
        { role: 'user', content: 'go on' },
      ],
    });
    const input = received[0]!.body.input as { type?: string; id?: string }[];
    expect(input.filter((i) => i.type === 'reasoning')).toEqual([own]);
    expect(input).toHaveLength(6);
  });

  it("item references name the upstream's items by the ids the client got, JSON or streamed", async () => {
    // The router keeps a native upstream's output item ids as they came (the client saw them in
    // the body and in the events), and sends the items themselves on: the upstream, or a chat
    // deployment, may not have them.
    received.length = 0;
    const first = await client.responses.create({ model: 'native', input: 'hi' });
    const [reasoning, message] = first.output;
    expect([reasoning!.id, message!.id]).toEqual(['rs_1', 'msg_1']);
    await client.responses.create({
      model: 'native',
      input: [
        { role: 'user', content: 'hi' },
        { type: 'item_reference', id: reasoning!.id! },
        { type: 'item_reference', id: message!.id! },
        { role: 'user', content: 'and then?' },
      ],
    });
    expect(received[1]!.body.input).toEqual([
      { role: 'user', content: 'hi' },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Thinking.' }] },
      {
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'native answer 1', annotations: [] }],
      },
      { role: 'user', content: 'and then?' },
    ]);
    const stream = await client.responses.create({ model: 'native', input: 'go', stream: true });
    let streamedId = '';
    for await (const event of stream)
      if (event.type === 'response.output_item.done' && event.item.type === 'message')
        streamedId = event.item.id;
    expect(streamedId).toBe('msg_3');
    const bridged = await client.responses.create({
      model: 'bridged',
      input: [
        { role: 'user', content: 'go' },
        { type: 'item_reference', id: streamedId },
        { role: 'user', content: 'more' },
      ],
    });
    expect(bridged.output_text).toBe('bridged answer 4');
    expect(received[3]!.body.messages).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: 'native answer 3' },
      { role: 'user', content: 'more' },
    ]);
  });
});
