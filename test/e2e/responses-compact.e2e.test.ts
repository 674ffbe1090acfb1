// The official `openai` SDK's `responses.inputTokens.count` and `responses.compact` against the
// BUILT router (simulated fleet): the router's count of the bridged request, and a compacted
// conversation continued with `responses.create` as the Agents SDK's compaction session does.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPromptTokens } from '../../src/core/prompt-text.js';
import { responsesToChat } from '../../src/http/responses/responses-convert.js';
import { spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { testConfigInput } from '../helpers/test-config.js';

let server: SpawnedServer;
let client: OpenAI;

beforeAll(async () => {
  server = await spawnServer(testConfigInput());
  client = new OpenAI({ baseURL: `${server.baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await server?.stop();
});

const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: false,
  },
];

describe('Responses input_tokens and compact through the router', () => {
  it("inputTokens.count answers the router's count of the bridged request", async () => {
    const params = {
      model: 'model-router',
      instructions: 'Answer in French.',
      input: 'What is the weather in Lyon?',
      tools,
    };
    const { data, response } = await client.responses.inputTokens.count(params).withResponse();
    expect(data.object).toBe('response.input_tokens');
    expect(data.input_tokens).toBe(
      await countPromptTokens(responsesToChat(params, undefined).chat),
    );
    expect(response.headers.get('x-router-counted-by')).toBe('router');
    const bad = await client.responses.inputTokens
      .count({ model: 'model-router', input: 'hi', previous_response_id: 'resp_nope' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
  });

  it('compact returns the user messages and a compaction item that the next create accepts', async () => {
    const first = await client.responses.create({
      model: 'model-router',
      input: 'Plan a three-day trip to Rome.',
    });
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'Plan a three-day trip to Rome.' },
      ...(first.output as OpenAI.Responses.ResponseInputItem[]),
      { role: 'user', content: 'Add a day in Florence.' },
    ];
    const compacted = await client.responses.compact({ model: 'big', input });
    expect(compacted.object).toBe('response.compaction');
    expect(compacted.usage.output_tokens).toBeGreaterThan(0);
    const users = compacted.output.filter((i) => i.type === 'message');
    expect(users.map((m) => m.role)).toEqual(['user', 'user']);
    const item = compacted.output.at(-1)!;
    expect(item.type).toBe('compaction');
    expect((item as { encrypted_content: string }).encrypted_content).toMatch(/^mr_compaction\./);
    // The output is the next request's input, as OpenAI documents it.
    const next = await client.responses.create({
      model: 'model-router',
      input: [
        ...(compacted.output as OpenAI.Responses.ResponseInputItem[]),
        { role: 'user', content: 'Now make it four days.' },
      ],
    });
    expect(next.status).toBe('completed');
    // The compaction item carries the summary: it counts more than the user messages alone.
    const withSummary = await client.responses.inputTokens.count({
      model: 'model-router',
      input: compacted.output as OpenAI.Responses.ResponseInputItem[],
    });
    const withoutSummary = await client.responses.inputTokens.count({
      model: 'model-router',
      input: compacted.output.slice(0, -1) as OpenAI.Responses.ResponseInputItem[],
    });
    expect(withSummary.input_tokens).toBeGreaterThan(withoutSummary.input_tokens + 10);
    // Another server's compaction item is refused, naming it.
    const foreign = await client.responses
      .create({
        model: 'model-router',
        input: [{ type: 'compaction', id: 'cmp_1', encrypted_content: 'gAAAAABpM0Yj-xyz=' }],
      })
      .catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(OpenAI.BadRequestError);
    expect((foreign as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      'input[0].encrypted_content',
    );
  });
});
