// Responses tool calls and outputs pair up, as OpenAI requires: an output answering no call, or a
// call (in the input, or of the response it continues) left without an output, is a 400 naming
// the item. Before, the bridge sent both on, and only the simulated fleet served them (OpenAI and
// Claude refuse the chat messages they become).
import { describe, expect, it } from 'vitest';
import { buildTestApp, simulatedAdapters } from '../../../test/helpers/build-test-app.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createResponseStore } from '../../store/response-store.js';

type Json = Record<string, unknown>;

async function app() {
  const config = testConfig();
  const t = await buildTestApp(config, simulatedAdapters(config), {
    responses: createResponseStore(100),
  });
  const post = (body: Json, url = '/v1/responses') =>
    t.app.inject({ method: 'POST', url, payload: { model: 'model-router', ...body } });
  return { t, post };
}

const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }];
const user = (text: string) => ({ type: 'message', role: 'user', content: text });
const call = (id: string) => ({
  type: 'function_call',
  call_id: id,
  name: 'get_weather',
  arguments: '{"city":"Oslo"}',
});
const output = (id: string) => ({ type: 'function_call_output', call_id: id, output: '3 °C' });

describe('Responses tool calls and outputs', () => {
  it('refuses an output that answers no call, naming it', async () => {
    const { t, post } = await app();
    const res = await post({ tools, input: [user('Weather in Oslo?'), output('call_zz')] });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      param: 'input[1].call_id',
      code: 'invalid_value',
    });
    expect(res.json().error.message).toContain(
      'No tool call found for function call output with call_id call_zz',
    );
    // Nor does one answer a call of the response it continues under another id.
    const first = await post({ tools, tool_choice: 'required', input: 'Weather in Oslo?' });
    expect(first.statusCode, first.body).toBe(200);
    const wrong = await post({
      tools,
      previous_response_id: first.json().id,
      input: [output('call_zz')],
    });
    expect(wrong.statusCode, wrong.body).toBe(400);
    expect(wrong.json().error.param).toBe('input[0].call_id');
    await t.app.close();
  });

  it('refuses a call left without an output, in the input or of the previous response', async () => {
    const { t, post } = await app();
    const res = await post({
      tools,
      input: [
        user('Weather in Oslo and Bergen?'),
        call('call_1'),
        call('call_2'),
        output('call_1'),
      ],
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ param: 'input[2]', code: 'invalid_value' });
    expect(res.json().error.message).toContain('No tool output found for function call call_2');
    // The previous response called a tool; a user message instead of its output is refused.
    const first = await post({ tools, tool_choice: 'required', input: 'Weather in Oslo?' });
    const fc = (first.json().output as Json[]).find((o) => o.type === 'function_call')!;
    const next = await post({
      tools,
      previous_response_id: first.json().id,
      input: [user('Never mind.')],
    });
    expect(next.statusCode, next.body).toBe(400);
    expect(next.json().error).toMatchObject({ param: 'input', code: 'invalid_value' });
    expect(next.json().error.message).toContain(
      `No tool output found for function call ${String(fc.call_id)}`,
    );
    // The loop done right is served: the output, then the next turn goes on from its answer.
    const answered = await post({
      tools,
      previous_response_id: first.json().id,
      input: [output(String(fc.call_id))],
    });
    expect(answered.statusCode, answered.body).toBe(200);
    const after = await post({
      tools,
      previous_response_id: answered.json().id,
      input: [user('And tomorrow?')],
    });
    expect(after.statusCode, after.body).toBe(200);
    await t.app.close();
  });

  it('serves a stateless loop, context outputs, and counts tokens whatever the pairing', async () => {
    const { t, post } = await app();
    // A stateless client sends the calls and their outputs back itself, in any order of outputs.
    const loop = await post({
      tools,
      input: [
        user('Weather in Oslo and Bergen?'),
        call('call_1'),
        call('call_2'),
        output('call_2'),
        output('call_1'),
      ],
    });
    expect(loop.statusCode, loop.body).toBe(200);
    // Context as a tool's output with no call_id (the Codex CLI's goal objective) answers nothing.
    const context = await post({
      input: [
        user('Go on.'),
        { type: 'function_call_output', name: 'goal_objective', output: 'Ship it.' },
      ],
    });
    expect(context.statusCode, context.body).toBe(200);
    // A shell call's output is not matched: a native upstream's shell calls are not kept as calls.
    const shell = await post({
      tools: [{ type: 'shell', environment: { type: 'local' } }],
      input: [
        user('List the files.'),
        {
          type: 'shell_call_output',
          call_id: 'call_native',
          output: [{ stdout: 'a.txt', stderr: '', outcome: { type: 'exit', exit_code: 0 } }],
        },
      ],
    });
    expect(shell.statusCode, shell.body).toBe(200);
    // A token count counts what it is given.
    const count = await post(
      { tools, input: [user('hi'), call('call_1')] },
      '/v1/responses/input_tokens',
    );
    expect(count.statusCode, count.body).toBe(200);
    await t.app.close();
  });
});
