// A 2xx from an OpenAI-format audio upstream that is not audio or a transcript (an error object,
// a page, nothing) is a retryable malformed reply, failed over as the other media endpoints' are
// (media audit F5, 2026-12-06: it was served to the client as the speech or transcript).
import { describe, expect, it } from 'vitest';
import { deploymentSchema } from '../../config/deployment-schema.js';
import type { HttpClient } from '../http-client.js';
import { createOpenAiAdapter } from './openai-adapter.js';

const d = deploymentSchema.parse({
  name: 'voice',
  provider: 'openai-compatible',
  baseUrl: 'http://127.0.0.1:9/v1',
  model: 'tts',
  kind: 'speech',
  prices: { inputPer1M: 1, outputPer1M: 1 },
  contextWindow: 4096,
});

/** Answers every request 200 with `body` and `contentType`. */
const http = (body: string, contentType: string): HttpClient =>
  ({
    request: async () => ({
      status: 200,
      headers: { 'content-type': contentType },
      body: (async function* () {
        if (body) yield Buffer.from(body);
      })(),
    }),
    close: async () => {},
  }) as unknown as HttpClient;

const signal = new AbortController().signal;
const speak = (body: string, type: string) =>
  createOpenAiAdapter(d, http(body, type), {}).speak!({
    deployment: d,
    body: { model: 'tts', input: 'hello', voice: 'alloy' },
    signal,
    requestId: 'r',
  });
const transcribe = (body: string, type: string) =>
  createOpenAiAdapter(d, http(body, type), {}).transcribe!({
    deployment: d,
    body: {
      fields: [],
      file: { filename: 'a.wav', contentType: 'audio/wav', data: Buffer.from('RIFF') },
      model: 'whisper',
      responseFormat: 'json',
    },
    signal,
    requestId: 'r',
    operation: 'transcriptions',
  });

const malformed = { status: 502, code: 'upstream_malformed_response', retryable: true };

describe('an OpenAI-format audio reply', () => {
  it('that is an error object or a page is no speech', async () => {
    await expect(speak('{"error":{"message":"quota"}}', 'application/json')).rejects.toMatchObject(
      malformed,
    );
    await expect(speak('<html>bad gateway</html>', 'text/html')).rejects.toMatchObject(malformed);
    const audio = await speak('ID3…', 'audio/mpeg');
    expect(audio.contentType).toBe('audio/mpeg');
  });

  it('that is empty, an error object or a page is no transcript', async () => {
    await expect(transcribe('', 'application/json')).rejects.toMatchObject(malformed);
    await expect(transcribe('{"error":{"message":"x"}}', 'application/json')).rejects.toMatchObject(
      malformed,
    );
    await expect(transcribe('<html></html>', 'text/html')).rejects.toMatchObject(malformed);
    const ok = await transcribe('{"text":"hello"}', 'application/json');
    expect(ok.body.toString()).toBe('{"text":"hello"}');
    expect((await transcribe('hello', 'text/plain')).body.toString()).toBe('hello');
  });
});
