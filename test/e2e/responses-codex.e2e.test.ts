// What the Codex CLI (0.17x) sends to `/v1/responses` that other Responses clients do not, through
// the official `openai` SDK against the BUILT router (simulated fleet): `namespace` tools (its
// sub-agent tools) and the hosted `web_search` tool on every turn. Before, every Codex request was
// a 400 (`tools[4] must be a function tool`).
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const agentTools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'exec_command',
    description: 'Runs a shell command.',
    strict: false,
    parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
  },
  {
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'Tools for managing sub-agents.',
    tools: [
      {
        type: 'function',
        name: 'close_agent',
        description: 'Close an agent.',
        strict: false,
        parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      },
    ],
  },
  { type: 'web_search', external_web_access: false } as OpenAI.Responses.Tool,
];

describe('Codex-shaped Responses requests through the router', () => {
  it("a namespace member's call comes back with its namespace, and goes back in with it", async () => {
    const { data: first, response } = await client.responses
      .create({
        model: 'model-router',
        input: [{ role: 'user', content: 'Please close the agent you started.' }],
        tools: agentTools,
        store: false,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'session-1',
      })
      .withResponse();
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', namespace: 'multi_agent_v1' });
    expect((call as { name: string }).name).toBe('close_agent');
    // web_search cannot run on a simulated (chat) deployment: left out, and said.
    expect(response.headers.get('x-router-warnings')).toContain(
      'hosted tools dropped (web_search)',
    );

    const second = await client.responses.create({
      model: 'model-router',
      input: [
        { role: 'user', content: 'Please close the agent you started.' },
        call as OpenAI.Responses.ResponseFunctionToolCall,
        {
          type: 'function_call_output',
          call_id: (call as { call_id: string }).call_id,
          output: 'closed',
        },
      ],
      tools: agentTools,
      store: false,
    });
    expect(second.status).toBe('completed');
    expect(second.output_text.length).toBeGreaterThan(0);
  });

  it('streams the namespace call as function_call items with the namespace', async () => {
    const stream = await client.responses.create({
      model: 'model-router',
      input: 'Please close the agent now.',
      tools: agentTools,
      stream: true,
    });
    const added: unknown[] = [];
    let done: OpenAI.Responses.Response | undefined;
    for await (const e of stream) {
      if (e.type === 'response.output_item.added' && e.item.type === 'function_call')
        added.push(e.item);
      if (e.type === 'response.completed') done = e.response;
    }
    expect(added[0]).toMatchObject({ namespace: 'multi_agent_v1', name: 'close_agent' });
    expect(done?.output.find((o) => o.type === 'function_call')).toMatchObject({
      namespace: 'multi_agent_v1',
      name: 'close_agent',
    });
  });

  it('a forced web search is a need to search; another forced hosted tool is a 400', async () => {
    // None of this fleet searches: the usual 400 names the rule for each deployment.
    await expect(
      client.responses.create({
        model: 'model-router',
        input: 'Search the web.',
        tools: [{ type: 'web_search' }],
        tool_choice: { type: 'web_search' } as unknown as OpenAI.Responses.ToolChoiceOptions,
      }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('web_search (does not search the web'),
    });
    await expect(
      client.responses.create({
        model: 'model-router',
        input: 'Search my files.',
        tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }],
        tool_choice: { type: 'file_search' } as unknown as OpenAI.Responses.ToolChoiceOptions,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'tool_choice' });
  });
});
