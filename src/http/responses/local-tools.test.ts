// The tools a Responses client runs itself, `shell` (local) and `apply_patch`, on the bridge to
// chat. The request bodies are the OpenAI Agents SDK's (0.20.0, `shellTool()` and
// `applyPatchTool()`, `run()` on the Responses API), captured as it sent them to the router:
// before, both tools were dropped as hosted, the model never called them, and the SDK's replayed
// `shell_call` items were a 400.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import type { ChatRequest } from '../../core/wire-types.js';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../../providers/types.js';
import { createResponseStore } from '../../store/response-store.js';
import { localCallItem, localToolOf } from './local-tools.js';

type Json = Record<string, unknown>;

/** The simulated fleet, recording the chat requests its deployments were sent. */
async function app() {
  const config = testConfig();
  const sent: ChatRequest[] = [];
  const adapters = Object.fromEntries(
    config.deployments.map((d): [string, ProviderAdapter] => {
      const sim = createSimulatedAdapter(d, { sleep: async () => {} });
      return [
        d.name,
        {
          ...sim,
          chat: (req) => (sent.push(req.body), sim.chat(req)),
          chatStream: (req) => (sent.push(req.body), sim.chatStream(req)),
        },
      ];
    }),
  );
  const t = await buildTestApp(config, adapters, { responses: createResponseStore(100) });
  const post = (body: Json) =>
    t.app.inject({ method: 'POST', url: '/v1/responses', payload: body });
  return { post, sent };
}

const shellTools = [{ type: 'shell', environment: { type: 'local' } }];
const shellTurn1 = {
  model: 'model-router',
  input: [{ role: 'user', content: 'run the shell command ls' }],
  include: [],
  tools: shellTools,
  stream: false,
};
const shellTurn2 = {
  ...shellTurn1,
  input: [
    { role: 'user', content: 'run the shell command ls' },
    {
      type: 'shell_call',
      id: 'sh_bx6-qNimO2QxBbDE',
      call_id: 'call_sima4c1ae10',
      status: 'completed',
      action: { commands: ['ls'], timeout_ms: null, max_output_length: null },
      environment: { type: 'local' },
    },
    {
      type: 'shell_call_output',
      call_id: 'call_sima4c1ae10',
      output: [{ stdout: 'a.txt', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
    },
  ],
};
const patchTurn1 = {
  model: 'model-router',
  input: [{ role: 'user', content: 'apply a patch to the file' }],
  include: [],
  tools: [{ type: 'apply_patch' }],
  stream: false,
};
const patchTurn2 = {
  ...patchTurn1,
  input: [
    { role: 'user', content: 'apply a patch to the file' },
    {
      type: 'apply_patch_call',
      id: 'apc_VoPd5e2R5IVEUnOw',
      call_id: 'call_simd85ac132',
      status: 'completed',
      operation: { type: 'create_file', path: 'a.txt', diff: '+hello' },
    },
    { type: 'apply_patch_call_output', call_id: 'call_simd85ac132', status: 'completed' },
  ],
};

/** The `data:` objects of a Responses event stream. */
const events = (body: string): Json[] =>
  body
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Json);

describe('tools the client runs (shell, apply_patch) on the Responses bridge', () => {
  it('shell: offered as a function, called back as a shell_call item', async () => {
    const { post, sent } = await app();
    const res = await post(shellTurn1);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-warnings'] ?? '').not.toMatch(/hosted tools dropped/);
    const tool = sent[0]!.tools?.[0];
    expect(tool?.type === 'function' && tool.function.name).toBe('shell');
    const [call] = res.json().output as Json[];
    expect(call).toMatchObject({
      type: 'shell_call',
      status: 'completed',
      action: { timeout_ms: null, max_output_length: null },
    });
    expect(call!.id).toMatch(/^sh_/);
    expect(call!.call_id).toMatch(/^call_/);
    expect((call!.action as Json).commands).toEqual(['simulated commands']);
  });

  it("shell: the SDK's shell_call and shell_call_output go back as the call and its result", async () => {
    const { post, sent } = await app();
    const res = await post(shellTurn2);
    expect(res.statusCode).toBe(200);
    expect(res.json().output[0].type).toBe('message');
    expect(sent[0]!.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_sima4c1ae10',
            type: 'function',
            function: {
              name: 'shell',
              arguments: '{"commands":["ls"],"timeout_ms":null,"max_output_length":null}',
            },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_sima4c1ae10', content: 'exit code 0\nstdout:\na.txt' },
    ]);
  });

  it('apply_patch: an apply_patch_call item, as JSON and streamed; its output goes back', async () => {
    const { post, sent } = await app();
    const json = await post(patchTurn1);
    expect(json.statusCode).toBe(200);
    expect(json.json().output[0]).toMatchObject({
      type: 'apply_patch_call',
      status: 'completed',
      operation: { type: 'create_file', path: 'simulated path', diff: 'simulated diff' },
    });

    const streamed = await post({ ...patchTurn1, stream: true });
    const evs = events(streamed.body);
    const added = evs.find((e) => e.type === 'response.output_item.added')!;
    const done = evs.find((e) => e.type === 'response.output_item.done')!;
    expect(added.item).toMatchObject({ type: 'apply_patch_call', status: 'in_progress' });
    expect(done.item).toMatchObject({ type: 'apply_patch_call', status: 'completed' });
    expect(evs.some((e) => e.type === 'response.function_call_arguments.delta')).toBe(false);
    const completed = evs.at(-1)!;
    expect(completed.type).toBe('response.completed');
    expect((completed.response as Json).output).toEqual([done.item]);

    sent.length = 0;
    const answered = await post(patchTurn2);
    expect(answered.statusCode).toBe(200);
    expect(sent[0]!.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_simd85ac132',
      content: 'completed',
    });
    const call = (sent[0]!.messages.at(-2) as unknown as { tool_calls: Json[] }).tool_calls[0];
    expect(call).toMatchObject({ function: { name: 'apply_patch' } });
  });

  it('a shell in a hosted container stays hosted; a function named shell is that function', () => {
    const hosted = { tools: [{ type: 'shell', environment: { type: 'container_auto' } }] };
    expect(localToolOf(hosted, 'shell')).toBeUndefined();
    const both = { tools: [...shellTools, { type: 'function', name: 'shell' }] };
    expect(localToolOf(both, 'shell')).toBeUndefined();
    expect(localToolOf({ tools: shellTools }, 'shell')).toBe('shell');
    // Arguments that make no call stay a function call.
    expect(localCallItem('shell', 'c1', '{"commands":"ls"}')).toBeUndefined();
    expect(localCallItem('apply_patch', 'c1', '{"type":"rename","path":"a"}')).toBeUndefined();
  });
});
