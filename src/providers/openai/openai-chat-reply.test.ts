// A 2xx chat reply with no choice is no answer: a retryable malformed reply, failed over as an
// empty stream is (providers audit F4, 2026-12-06: it was served, and a client reading
// `choices[0]` crashed).
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import { recordingHttp } from '../../../test/helpers/fake-http.js';
import { createOpenAiAdapter } from './openai-adapter.js';

const gpt = deploymentSchema.parse({
  name: 'o',
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9/v1',
  model: 'm',
  prices: { inputPer1M: 1, outputPer1M: 1 },
  contextWindow: 1000,
  maxOutputTokens: 100,
});

const chat = (reply: string) =>
  createOpenAiAdapter(gpt, recordingHttp(reply).http, {}).chat({
    deployment: gpt,
    body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    signal: new AbortController().signal,
    requestId: 'r',
  });

describe('an OpenAI-format chat reply', () => {
  it.each(['{"id":"x","choices":[]}', '{"id":"x","object":"chat.completion"}'])(
    'with no choice (%s) is a retryable malformed reply',
    async (reply) => {
      await expect(chat(reply)).rejects.toMatchObject({
        status: 502,
        code: 'upstream_malformed_response',
        retryable: true,
        message: expect.stringContaining('it has no choices'),
      });
    },
  );

  it.each(['{"choices":[{"message":null}]}', '{"choices":[{"index":0}]}', '{"choices":[7]}'])(
    'with a choice that has no message (%s) is a retryable malformed reply',
    async (reply) => {
      await expect(chat(reply)).rejects.toMatchObject({
        status: 502,
        code: 'upstream_malformed_response',
        retryable: true,
        message: expect.stringContaining('a choice has no message'),
      });
    },
  );

  it('with a choice is served, missing id, model and created filled in', async () => {
    const { response } = await chat(
      '{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}',
    );
    expect(response).toMatchObject({ model: 'm', object: 'chat.completion' });
    expect(response.choices[0]!.message.content).toBe('ok');
  });
});
