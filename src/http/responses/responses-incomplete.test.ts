// A Response cut short (chat `finish_reason` `length` or `content_filter`): OpenAI marks the
// response `incomplete` with `incomplete_details.reason`, and its message item `incomplete` too
// (openapi.yaml `OutputMessage.status`: in_progress, completed or incomplete). Before, the bridge
// marked the response but left the message `completed`, whichever upstream served.
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  simulatedAdapters,
  type TestApp,
} from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfig } from '../../../test/helpers/test-config.js';
import type { ChatChunk, ChatResponse } from '../../core/wire-types.js';
import { createResponseStore } from '../../store/response-store.js';
import { chatToResponse } from './responses-reply.js';
import { chatChunksToResponseEvents } from './responses-stream.js';

type Json = Record<string, unknown>;
type Finish = 'stop' | 'length' | 'content_filter';

const ctx = { id: 'resp_1', createdAt: 1_700_000_000_000, request: {} };

const reply = (finish: Finish) =>
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
        message: { role: 'assistant', content: 'The tide', refusal: null },
      },
    ],
  }) as ChatResponse;

async function* chunksOf(finish: Finish): AsyncGenerator<ChatChunk> {
  const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
  yield { ...base, choices: [{ index: 0, delta: { content: 'The' }, finish_reason: null }] };
  yield { ...base, choices: [{ index: 0, delta: { content: ' tide' }, finish_reason: finish }] };
}

/** The stream's events for chunks that end with `finish`, parsed. */
async function streamed(finish: Finish): Promise<Json[]> {
  const out: Json[] = [];
  for await (const e of chatChunksToResponseEvents(chunksOf(finish), ctx, 'm', async () => {}))
    out.push(JSON.parse(e.data) as Json);
  return out;
}

const messageOf = (response: Json) =>
  (response.output as Json[]).find((i) => i.type === 'message')!;

describe('a Response cut short', () => {
  it.each([
    ['length', 'max_output_tokens'],
    ['content_filter', 'content_filter'],
  ] as const)('finish_reason %s: response and message incomplete (JSON)', (finish, reason) => {
    const { response } = chatToResponse(reply(finish), ctx);
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason } });
    expect(messageOf(response).status).toBe('incomplete');
    // One that ended on its own: both completed.
    const whole = chatToResponse(reply('stop'), ctx).response;
    expect(whole.status).toBe('completed');
    expect(messageOf(whole).status).toBe('completed');
  });

  it.each([
    ['length', 'max_output_tokens'],
    ['content_filter', 'content_filter'],
  ] as const)(
    'finish_reason %s: response and message incomplete (stream)',
    async (finish, reason) => {
      const events = await streamed(finish);
      const done = events.filter((e) => e.type === 'response.output_item.done');
      expect(done.map((e) => (e.item as Json).status)).toEqual(['incomplete']);
      const last = events.at(-1)!;
      expect(last.type).toBe('response.incomplete');
      expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason } });
      expect(messageOf(last.response as Json).status).toBe('incomplete');
    },
  );
});

describe('max_output_tokens on a simulated model', () => {
  const config = testConfig({
    deployments: [simDeployment('long', { simulation: { answerTokens: 200 } })],
    routers: [{ name: 'model-router', modelSubset: ['long'] }],
  });
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.app.close();
  });

  it('stops at the limit: an incomplete response and message, created and retrieved', async () => {
    t = await buildTestApp(config, simulatedAdapters(config), {
      responses: createResponseStore(100),
    });
    const payload = { model: 'long', input: 'Explain the tides.', max_output_tokens: 16 };
    const res = await t.app.inject({ method: 'POST', url: '/v1/responses', payload });
    expect(res.statusCode, res.body).toBe(200);
    const created = res.json() as Json;
    expect(created).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      usage: { output_tokens: 16 },
    });
    expect(messageOf(created).status).toBe('incomplete');
    const got = await t.app.inject({ method: 'GET', url: `/v1/responses/${String(created.id)}` });
    expect(messageOf(got.json() as Json).status).toBe('incomplete');
  });
});
