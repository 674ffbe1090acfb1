// The Response object echoes the request's reasoning configuration, as OpenAI's does
// (`reasoning: {effort, summary}`; spec: the Reasoning schema): opencode sends `summary: "auto"`
// and read back null before.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { createMemoryConversationStore } from '../../store/memory/memory-conversation-store.js';
import { createResponseStore } from '../../store/response-store.js';

async function setup() {
  const reply = [{ reply: 'four' }];
  return buildTestApp(
    testConfig({
      deployments: ['big', 'mid', 'small'].map((name) =>
        simDeployment(name, { capabilities: { reasoning: true } }),
      ),
    }),
    {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    },
    { responses: createResponseStore(10_000, createMemoryConversationStore(100)) },
  );
}

/** The `reasoning` of each Response object in an SSE body (response.created, …, completed). */
function streamedReasoning(body: string): unknown[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line.includes('"response":'))
    .map((line) => (JSON.parse(line.slice(6)) as { response: { reasoning: unknown } }).response)
    .map((r) => r.reasoning);
}

describe('Responses: reasoning echoed on the Response object', () => {
  it('echoes effort and summary as asked, JSON and streamed', async () => {
    const t = await setup();
    const payload = {
      model: 'model-router',
      input: 'What is 2+2?',
      reasoning: { effort: 'low', summary: 'auto' },
    };
    const json = await t.app.inject({ method: 'POST', url: '/v1/responses', payload });
    expect(json.statusCode).toBe(200);
    expect(json.json().reasoning).toEqual({ effort: 'low', summary: 'auto' });

    const sse = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { ...payload, stream: true },
    });
    const seen = streamedReasoning(sse.body);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const r of seen) expect(r).toEqual({ effort: 'low', summary: 'auto' });
  });

  it('takes the deprecated generate_summary as the summary, and says null where none was asked', async () => {
    const t = await setup();
    const ask = (reasoning?: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'hi', ...(reasoning ? { reasoning } : {}) },
      });
    expect((await ask({ generate_summary: 'concise' })).json().reasoning).toEqual({
      effort: null,
      summary: 'concise',
    });
    expect((await ask({ effort: 'high' })).json().reasoning).toEqual({
      effort: 'high',
      summary: null,
    });
    expect((await ask()).json().reasoning).toEqual({ effort: null, summary: null });
  });
});
