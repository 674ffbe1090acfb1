// The Codex CLI (0.171) over the Responses API's WebSocket mode, replayed: its upgrade headers and
// its `response.create` messages as captured between `codex exec` and the router (a provider with
// `supports_websockets = true`, and the built-in `openai` provider at the router, which adds remote
// compaction), trimmed (instructions and most tools cut) but with every field Codex sends. Sent
// with a raw `ws` client, as Codex's own client sends them, through the whole router on its
// simulated fleet. Asserts the shapes Codex reads back: the warm-up, `previous_response_id` with
// only the new items, the call-less `agent.goal_objective` output it adds once a goal is set
// (refused with a 400 before), and the compaction it asks for with `compaction_trigger`.
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { testConfig } from '../helpers/test-config.js';

type Json = Record<string, unknown>;
const records: RequestRecord[] = [];
let rt: Runtime;
let baseUrl: string;
let wsUrl: string;

beforeAll(async () => {
  rt = await createRuntime(testConfig(), { recorder: { record: (r) => void records.push(r) } });
  baseUrl = await rt.app.listen({ host: '127.0.0.1', port: 0 });
  wsUrl = `${baseUrl.replace(/^http/, 'ws')}/v1/responses`;
});

afterAll(async () => {
  await rt?.close();
});

const SESSION = '01a2375b-2aed-70e3-b17d-a203bdaaaac1';
const TURN = '01a2375b-2b94-7550-b2d4-40c91c85b91a';

/** The upgrade's headers as Codex sent them (`authorization` left out: `auth.mode: none`). */
const UPGRADE_HEADERS = {
  'user-agent': 'codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.171.0)',
  originator: 'codex_exec',
  'openai-beta': 'responses_websockets=2026-02-06',
  'x-codex-turn-metadata': JSON.stringify({
    session_id: SESSION,
    thread_id: SESSION,
    turn_id: '',
    request_kind: 'prewarm',
    sandbox_mode: 'workspace-write',
    model: 'model-router',
  }),
  version: '0.171.0',
  'x-codex-beta-features': 'remote_compaction_v2',
  'x-client-request-id': SESSION,
  'session-id': SESSION,
  'thread-id': SESSION,
  'x-codex-window-id': `${SESSION}:0`,
};

/** Codex's tools, a few of the nine it sends, in their shapes: a function, a namespace, hosted. */
const TOOLS = [
  {
    type: 'function',
    name: 'exec_command',
    description:
      'Runs a command in a PTY, returning output or a session ID for ongoing interaction.',
    strict: false,
    parameters: {
      type: 'object',
      properties: {
        cmd: { type: 'string', description: 'Shell command to execute.' },
        sandbox_permissions: { type: 'string', enum: ['use_default', 'require_escalated'] },
        yield_time_ms: { type: 'number' },
      },
      required: ['cmd'],
      additionalProperties: false,
    },
  },
  {
    type: 'namespace',
    name: 'multi_agent_v1',
    description: 'Tools for spawning and managing sub-agents.',
    tools: [
      {
        type: 'function',
        name: 'close_agent',
        description: 'Close an agent and any open descendants.',
        strict: false,
        parameters: {
          type: 'object',
          properties: { target: { type: 'string' } },
          required: ['target'],
          additionalProperties: false,
        },
      },
    ],
  },
  {
    type: 'function',
    name: 'create_goal',
    description: 'Create a goal only when explicitly requested by the user.',
    strict: false,
    parameters: {
      type: 'object',
      properties: { objective: { type: 'string' }, token_budget: { type: 'integer' } },
      required: ['objective'],
      additionalProperties: false,
    },
  },
  { type: 'web_search', external_web_access: false },
];

/** The fields every `response.create` of Codex's carries besides its input. */
function create(input: Json[], extra: Json = {}): Json {
  return {
    type: 'response.create',
    model: 'model-router',
    stream: true,
    ...extra,
    input,
    tools: TOOLS,
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: SESSION,
    client_metadata: {
      'x-codex-installation-id': 'a1153d0f-fd24-4e8c-af8d-f433c3cea996',
      'x-codex-ws-stream-request-start-ms': '1796225051855',
      session_id: SESSION,
      thread_id: SESSION,
      turn_id: TURN,
      'x-codex-window-id': `${SESSION}:0`,
      mcp_attribution: '{"status":"none"}',
    },
  };
}

/** Codex's note on each item it kept in its history (the `openai` provider sends it). */
const passthrough = { internal_chat_message_metadata_passthrough: { turn_id: TURN } };

const DEVELOPER = {
  type: 'message',
  id: 'msg_3b103ecb-870f-5c51-9f86-46720f55c23b',
  role: 'developer',
  content: [{ type: 'input_text', text: 'You are a coding agent running in the Codex CLI.' }],
};
const ENVIRONMENT = {
  type: 'message',
  id: 'msg_01a2375b-2c9f-7071-89d0-ce565dd7586d',
  role: 'user',
  content: [
    {
      type: 'input_text',
      text: '<environment_context>\n  <cwd>/tmp/codex-ws-scratch</cwd>\n  <shell>bash</shell>\n</environment_context>',
    },
  ],
};
const PROMPT = {
  type: 'message',
  id: 'msg_01a2375b-12db-73f2-96e3-8242e8a27913',
  role: 'user',
  content: [
    {
      type: 'input_text',
      text: 'Run a command to list the files here, then apply a patch that creates hello.txt containing hi',
    },
  ],
};
/** What Codex adds once a goal is set: a function output that answers no call. */
const GOAL_OBJECTIVE = {
  type: 'function_call_output',
  id: 'fco_01a2375b-32ed-7b40-8971-575bdb8fc65d',
  name: 'goal_objective',
  namespace: 'agent',
  output: 'simulated objective',
  ...passthrough,
};

/** A connection as Codex opens it, and a reader of one turn's events. */
async function codexConnection() {
  const ws = new WebSocket(wsUrl, { headers: UPGRADE_HEADERS, perMessageDeflate: true });
  const queue: Json[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    queue.push(JSON.parse(String(data)) as Json);
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  /** Sends one `response.create`; the events until `response.completed` or an `error`. */
  const turn = async (event: Json): Promise<Json[]> => {
    ws.send(JSON.stringify(event));
    const seen: Json[] = [];
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      const e = queue.shift()!;
      seen.push(e);
      if (['response.completed', 'response.failed', 'error'].includes(String(e.type))) return seen;
    }
  };
  return { ws, turn };
}

/** The Response of `response.completed`, after checking the stream as Codex reads it. */
function completed(events: Json[]): Json {
  const last = events.at(-1)!;
  expect(last.type, JSON.stringify(last)).toBe('response.completed');
  expect(events[0]!.type).toBe('response.created');
  // One sequence per turn, from 0, with no gap.
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  const response = last.response as Json;
  expect((events[0]!.response as Json).id).toBe(response.id);
  // The usage fields Codex counts ("tokens used") and its context window from.
  expect(response.usage).toMatchObject({
    input_tokens: expect.any(Number),
    input_tokens_details: { cached_tokens: expect.any(Number) },
    output_tokens: expect.any(Number),
    output_tokens_details: { reasoning_tokens: expect.any(Number) },
    total_tokens: expect.any(Number),
  });
  return response;
}

function outputItems(response: Json): Json[] {
  return response.output as Json[];
}

describe('the Codex CLI over WebSocket mode (captured messages replayed)', () => {
  it('warms up, calls tools, takes their outputs and the goal context, on one connection', async () => {
    const before = records.length;
    const c = await codexConnection();
    // 1. The warm-up: the instructions and tools, `generate: false`.
    const warm = completed(await c.turn(create([DEVELOPER], { generate: false })));
    expect(warm).toMatchObject({ status: 'completed', output: [] });
    expect((warm.usage as Json).total_tokens).toBe(0);

    // 2. The turn continues the warm-up with only its new items.
    const events = await c.turn(
      create([{ ...DEVELOPER, id: 'msg_01a23759-12bd-7372' }, ENVIRONMENT, PROMPT], {
        previous_response_id: warm.id,
      }),
    );
    const first = completed(events);
    expect(first.previous_response_id).toBe(warm.id);
    const calls = outputItems(first).filter((o) => o.type === 'function_call');
    expect(calls.map((o) => o.name)).toEqual(['exec_command', 'create_goal']);
    for (const call of calls)
      expect(call).toMatchObject({
        id: expect.any(String),
        call_id: expect.any(String),
        arguments: expect.any(String),
        status: 'completed',
      });
    // Codex runs a call once its `output_item.done` arrives.
    const done = events.filter((e) => e.type === 'response.output_item.done');
    expect(done.map((e) => (e.item as Json).call_id)).toEqual(calls.map((o) => o.call_id));

    // 3. The outputs, and the goal's objective as a function output that answers no call.
    const second = completed(
      await c.turn(
        create(
          [
            ...calls.map((call, i) => ({
              type: 'function_call_output',
              id: `fco_01a2375b-32de-7562-88e2-a5d6a24f738${i}`,
              call_id: call.call_id,
              output: i === 0 ? 'Process exited with code 0\nOutput:\n' : '{"goal":{}}',
              ...passthrough,
            })),
            GOAL_OBJECTIVE,
          ],
          { previous_response_id: first.id },
        ),
      ),
    );
    expect(outputItems(second).map((o) => o.type)).toEqual(['message']);
    // Codex closes without a close frame; every turn was logged as a WebSocket turn of Responses.
    c.ws.terminate();
    const turns = records.slice(before);
    expect(turns).toHaveLength(2);
    for (const r of turns) expect(r).toMatchObject({ endpoint: 'responses', status: 200 });
  });

  it('compacts on `compaction_trigger` and goes on from the compaction item', async () => {
    const c = await codexConnection();
    const first = completed(
      await c.turn(create([DEVELOPER, ENVIRONMENT, PROMPT].map((m) => ({ ...m, ...passthrough })))),
    );
    const calls = outputItems(first).filter((o) => o.type === 'function_call');
    expect(calls.length).toBeGreaterThan(0);
    // Over its auto-compact limit, Codex sends the outputs with a `compaction_trigger` last.
    const events = await c.turn(
      create(
        [
          ...calls.map((call) => ({
            type: 'function_call_output',
            call_id: call.call_id,
            output: 'done',
            ...passthrough,
          })),
          { type: 'compaction_trigger' },
        ],
        { previous_response_id: first.id },
      ),
    );
    const compacted = completed(events);
    expect(events.map((e) => e.type)).toContain('response.compaction.compacting');
    const [item, ...rest] = outputItems(compacted);
    expect(rest).toEqual([]);
    expect(item).toMatchObject({
      type: 'compaction',
      id: expect.any(String),
      encrypted_content: expect.stringMatching(/^mr_compaction\.v1\./),
    });
    // Then it sends its whole history again, the compaction item in place of the turns it holds,
    // with no previous_response_id; and once more the goal context after the next calls.
    const history = [DEVELOPER, ENVIRONMENT, PROMPT, { ...item, ...passthrough }];
    const next = completed(await c.turn(create(history)));
    expect(next.previous_response_id).toBeNull();
    // The simulated model calls a tool or not depending on the summary's words.
    const again = outputItems(next).filter((o) => o.type === 'function_call');
    const last = completed(
      await c.turn(
        create(
          [
            ...again.map((call) => ({
              type: 'function_call_output',
              call_id: call.call_id,
              output: 'ok',
            })),
            GOAL_OBJECTIVE,
          ],
          { previous_response_id: next.id },
        ),
      ),
    );
    expect(outputItems(last).map((o) => o.type)).toEqual(['message']);
    c.ws.close();
  });

  it('takes the goal context on a POST too, and lists it as it came', async () => {
    const post = async (body: Json) => {
      const res = await fetch(`${baseUrl}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Json;
    };
    const { type: _type, ...body } = create([DEVELOPER, ENVIRONMENT, PROMPT], { stream: false });
    void _type;
    const first = await post({ ...body, store: true });
    const calls = outputItems(first).filter((o) => o.type === 'function_call');
    const second = await post({
      ...body,
      store: true,
      previous_response_id: first.id,
      input: [
        ...calls.map((call) => ({
          type: 'function_call_output',
          call_id: call.call_id,
          output: 'ok',
        })),
        GOAL_OBJECTIVE,
      ],
    });
    expect(outputItems(second).map((o) => o.type)).toEqual(['message']);
    const listed = (await (
      await fetch(`${baseUrl}/v1/responses/${String(second.id)}/input_items?order=asc`)
    ).json()) as { data: Json[] };
    expect(listed.data.at(-1)).toMatchObject({
      type: 'function_call_output',
      namespace: 'agent',
      name: 'goal_objective',
      output: 'simulated objective',
    });
    expect(listed.data.at(-1)).not.toHaveProperty('call_id');
    expect(listed.data.filter((i) => i.type === 'function_call')).toEqual([]);
  });

  it('still refuses a function output with neither call_id nor name, and goes on', async () => {
    const c = await codexConnection();
    const [error] = await c.turn(
      create([PROMPT, { type: 'function_call_output', output: 'orphan' }]),
    );
    expect(error).toMatchObject({
      type: 'error',
      status: 400,
      error: { param: 'input[1].call_id', code: 'missing_required_parameter' },
    });
    completed(await c.turn(create([PROMPT])));
    c.ws.close();
  });
});
