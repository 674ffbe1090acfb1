// A 2xx from an OpenAI-format image upstream with no image in it (`data: []`) is a retryable
// malformed reply, failed over as the other malformed media replies are (media audit F6,
// 2026-12-06: it was served to the client as a 200 with nothing in it).
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { HttpClient } from '../http-client.js';
import { createOpenAiAdapter } from './openai-adapter.js';

const d = deploymentSchema.parse({
  name: 'img',
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9/v1',
  model: 'gpt-image-1',
  kind: 'images',
  prices: { inputPer1M: 1, outputPer1M: 1 },
  contextWindow: 4096,
});

/** Answers every request 200 with `body` as JSON. */
const http = (body: unknown): HttpClient =>
  ({
    request: async () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: (async function* () {
        yield Buffer.from(JSON.stringify(body));
      })(),
    }),
    close: async () => {},
  }) as unknown as HttpClient;

const signal = new AbortController().signal;
const generate = (body: unknown) =>
  createOpenAiAdapter(d, http(body), {}).generateImages!({
    deployment: d,
    body: { model: 'gpt-image-1', prompt: 'a cat' },
    signal,
    requestId: 'r',
  });
const edit = (body: unknown) =>
  createOpenAiAdapter(d, http(body), {}).editImages!({
    deployment: d,
    body: { parts: [], json: { prompt: 'p', images: [] }, model: 'gpt-image-1', n: 1 },
    signal,
    requestId: 'r',
  });

const malformed = { status: 502, code: 'upstream_malformed_response', retryable: true };

describe('an OpenAI-format images reply', () => {
  it('with no image is no answer, generated or edited', async () => {
    await expect(generate({ created: 1, data: [] })).rejects.toMatchObject(malformed);
    await expect(generate({ created: 1, data: [] })).rejects.toThrow(/it has no images/);
    await expect(edit({ created: 1, data: [] })).rejects.toMatchObject(malformed);
    const ok = await generate({ created: 1, data: [{ b64_json: 'eA==' }] });
    expect(ok.response.data).toHaveLength(1);
    expect((await edit({ data: [{ url: 'https://x/a.png' }] })).response.data).toHaveLength(1);
  });
});
