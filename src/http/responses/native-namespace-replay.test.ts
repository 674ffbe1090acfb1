// A conversation continued with previous_response_id on a deployment that speaks the Responses
// API natively (the Codex CLI's path): the earlier calls of namespace members go back to the
// upstream with their `namespace` and own `name`, as the upstream and the client wrote them, not
// as the chat name the router keeps them under (`<namespace>__<name>`).
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { testConfig, nativeCodexDeployment } from '../../../test/helpers/test-config.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { createResponseStore } from '../../store/response-store.js';

type Json = Record<string, unknown>;

const tools = [
  {
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'Tools for spawning and managing sub-agents.',
    tools: [
      {
        type: 'function',
        name: 'close_agent',
        parameters: { type: 'object', properties: { id: { type: 'string' } } },
      },
      { type: 'custom', name: 'note' },
    ],
  },
  { type: 'function', name: 'exec_command', parameters: { type: 'object', properties: {} } },
];

const upstreamCall = {
  type: 'function_call',
  id: 'fc_up',
  call_id: 'call_up',
  namespace: 'multi_agent_v1',
  name: 'close_agent',
  arguments: '{"id":"a1"}',
  status: 'completed',
};

function response(output: Json[]): Json {
  return {
    id: 'resp_up',
    object: 'response',
    status: 'completed',
    model: 'gpt-5.1-codex',
    output,
    usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
  };
}

async function setup(answers: Json[][]) {
  const config = testConfig({
    deployments: [nativeCodexDeployment()],
    routers: [],
  });
  let turn = 0;
  const { http, sent } = scriptedHttp(() => ({ body: response(answers[turn++] ?? []) }));
  const { app } = await buildTestApp(
    config,
    { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
    { responses: createResponseStore() },
  );
  const post = (payload: Json) =>
    app.inject({ method: 'POST', url: '/v1/responses', payload: { model: 'codex', ...payload } });
  const inputs = () => sent.map((s) => (JSON.parse(s.body) as { input: Json[] }).input);
  return { app, post, inputs };
}

describe('a stored conversation continued on a native Responses upstream', () => {
  it("the upstream's namespaced call goes back to it in its namespace form", async () => {
    const t = await setup([[upstreamCall], [{ type: 'message', role: 'assistant', content: [] }]]);
    const first = await t.post({ input: 'close the agent', tools });
    expect(first.statusCode).toBe(200);
    expect(first.json().output[0]).toMatchObject({
      namespace: 'multi_agent_v1',
      name: 'close_agent',
    });
    const second = await t.post({
      previous_response_id: first.json().id,
      input: [{ type: 'function_call_output', call_id: 'call_up', output: 'closed' }],
      tools,
    });
    expect(second.statusCode).toBe(200);
    expect(t.inputs()[1]).toEqual([
      { role: 'user', content: 'close the agent' },
      {
        type: 'function_call',
        call_id: 'call_up',
        namespace: 'multi_agent_v1',
        name: 'close_agent',
        arguments: '{"id":"a1"}',
      },
      { type: 'function_call_output', call_id: 'call_up', output: 'closed' },
    ]);
    await t.app.close();
  });

  it("the client's own namespaced calls, function and custom, go back as it sent them", async () => {
    const t = await setup([[], []]);
    const first = await t.post({
      input: [
        { role: 'user', content: 'go on' },
        {
          type: 'function_call',
          call_id: 'c1',
          namespace: 'multi_agent_v1',
          name: 'close_agent',
          arguments: '{}',
        },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
        {
          type: 'custom_tool_call',
          call_id: 'c2',
          namespace: 'multi_agent_v1',
          name: 'note',
          input: 'x',
        },
        { type: 'custom_tool_call_output', call_id: 'c2', output: 'noted' },
        { type: 'function_call', call_id: 'c3', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c3', output: 'done' },
      ],
      tools,
    });
    expect(first.statusCode).toBe(200);
    // The continuation's own tools leave the namespace out: the stored Response's tools name it.
    const second = await t.post({
      previous_response_id: first.json().id,
      input: 'and then?',
      tools: [tools[1]],
    });
    expect(second.statusCode).toBe(200);
    const calls = t.inputs()[1]!.filter((i) => String(i.type).endsWith('call'));
    expect(calls).toEqual([
      {
        type: 'function_call',
        call_id: 'c1',
        namespace: 'multi_agent_v1',
        name: 'close_agent',
        arguments: '{}',
      },
      {
        type: 'custom_tool_call',
        call_id: 'c2',
        namespace: 'multi_agent_v1',
        name: 'note',
        input: 'x',
      },
      { type: 'function_call', call_id: 'c3', name: 'exec_command', arguments: '{}' },
    ]);
    // GET …/input_items lists them as the client sent them too.
    const listed = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${first.json().id}/input_items?order=asc`,
    });
    expect(
      (listed.json().data as Json[])
        .filter((i) => String(i.type).endsWith('call'))
        .map((i) => [i.namespace, i.name]),
    ).toEqual([
      ['multi_agent_v1', 'close_agent'],
      ['multi_agent_v1', 'note'],
      [undefined, 'exec_command'],
    ]);
    await t.app.close();
  });
});
