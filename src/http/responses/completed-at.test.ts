// A Response's `completed_at` (openapi.yaml `Response.completed_at`: unix seconds when it
// completed, "only present when the status is `completed`"): set on a completed response
// created, retrieved, streamed (response.completed) and run in the background; null while it is
// queued or in progress, and when it ended incomplete.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  type TestApp,
  simulatedAdapters,
} from '../../../test/helpers/build-test-app.js';
import { scriptedHttp } from '../../../test/helpers/fake-http.js';
import { nativeCodexDeployment, testConfig } from '../../../test/helpers/test-config.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import type { ChatResponse } from '../../core/wire-types.js';
import { createResponseStore } from '../../store/response-store.js';
import { chatToResponse, completedAt } from './responses-reply.js';

type Json = Record<string, unknown>;

let t: TestApp | undefined;
async function app(): Promise<TestApp> {
  if (t) return t;
  const config = testConfig();
  const adapters = simulatedAdapters(config);
  t = await buildTestApp(config, adapters, {
    responses: createResponseStore(100),
    background: { pollMs: 5 },
  });
  return t;
}

afterAll(async () => {
  await t?.background?.stop(0);
  await t?.app.close();
});

const post = async (payload: Json) =>
  (await app()).app.inject({ method: 'POST', url: '/v1/responses', payload });
const get = async (id: unknown) =>
  (await app()).app.inject({ method: 'GET', url: `/v1/responses/${String(id)}` });

/** `r` completed at a whole unix second, not before it was created. */
function expectCompleted(r: Json): void {
  expect(r.status).toBe('completed');
  expect(Number.isInteger(r.completed_at), JSON.stringify(r.completed_at)).toBe(true);
  expect(r.completed_at as number).toBeGreaterThanOrEqual(r.created_at as number);
}

describe('completed_at', () => {
  it('is set on a completed response, created and retrieved (the same second)', async () => {
    const res = await post({ model: 'model-router', input: 'hi' });
    expect(res.statusCode, res.body).toBe(200);
    const created = res.json() as Json;
    expectCompleted(created);
    const got = await get(created.id);
    expect(got.statusCode, got.body).toBe(200);
    expect((got.json() as Json).completed_at).toBe(created.completed_at);
  });

  it('is null on response.created and in_progress, and set on response.completed', async () => {
    const res = await post({ model: 'model-router', input: 'hi', stream: true });
    expect(res.statusCode).toBe(200);
    const seen = new Map<string, Json>();
    for (const line of res.body.split('\n'))
      if (line.startsWith('data: ')) {
        const e = JSON.parse(line.slice(6)) as { type: string; response?: Json };
        if (e.response) seen.set(e.type, e.response);
      }
    expect(seen.get('response.created')).toMatchObject({ completed_at: null });
    expect(seen.get('response.in_progress')).toMatchObject({ completed_at: null });
    expectCompleted(seen.get('response.completed')!);
  });

  it('is null while a background response is queued, and set once it has completed', async () => {
    const res = await post({ model: 'model-router', input: 'hi', background: true });
    expect(res.statusCode, res.body).toBe(200);
    const queued = res.json() as Json;
    expect(queued).toMatchObject({ status: 'queued', completed_at: null });
    let polled = queued;
    while (polled.status === 'queued' || polled.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 5));
      polled = (await get(queued.id)).json() as Json;
    }
    expectCompleted(polled);
  });

  it('is null on a response that ended incomplete', () => {
    const reply = (finish: 'stop' | 'length') =>
      ({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [
          {
            index: 0,
            finish_reason: finish,
            logprobs: null,
            message: { role: 'assistant', content: 'x', refusal: null },
          },
        ],
      }) as ChatResponse;
    const ctx = { id: 'resp_1', createdAt: 1_700_000_000_000, request: {} };
    const cut = chatToResponse(reply('length'), ctx).response;
    expect(cut).toMatchObject({ status: 'incomplete', completed_at: null });
    expectCompleted(chatToResponse(reply('stop'), ctx).response);
  });

  it('is the completing second, in whole unix seconds', () => {
    expect(completedAt('completed', 1_741_476_778_900)).toBe(1_741_476_778);
    for (const status of ['queued', 'in_progress', 'incomplete', 'failed', 'cancelled'])
      expect(completedAt(status, 1_741_476_778_900), status).toBeNull();
  });

  it("a native Responses upstream's: kept as it sent it, filled in where it left it out", async () => {
    const config = testConfig({ deployments: [nativeCodexDeployment()], routers: [] });
    const answers = [{ completed_at: 1_741_476_778 }, {}];
    let turn = 0;
    const { http, sent } = scriptedHttp(() => ({
      body: {
        id: 'resp_up',
        object: 'response',
        created_at: 1_741_476_777,
        status: 'completed',
        model: 'gpt-5.1-codex',
        output: [],
        usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
        ...answers[turn++],
      },
    }));
    const native = await buildTestApp(
      config,
      { codex: createOpenAiAdapter(config.deployments[0]!, http, {}) },
      { responses: createResponseStore() },
    );
    const ask = () =>
      native.app.inject({
        method: 'POST',
        url: '/v1/responses',
        // Sent on in the Responses API's own form (openapi.yaml `ResponseTextParam.verbosity`).
        payload: { model: 'codex', input: 'hi', text: { verbosity: 'low' }, service_tier: 'flex' },
      });
    expect((await ask()).json()).toMatchObject({ completed_at: 1_741_476_778 });
    const filled = (await ask()).json() as Json;
    expect(Number.isInteger(filled.completed_at)).toBe(true);
    expect(filled.completed_at as number).toBeGreaterThan(1_741_476_778);
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      text: { verbosity: 'low' },
      service_tier: 'flex',
    });
    await native.app.close();
  });
});
