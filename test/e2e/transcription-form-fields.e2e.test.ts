// openai 7.60's transcription options sent by the official `openai` SDK (OpenAI and AzureOpenAI
// classes) to the app on a loopback port, with OpenAI- and Azure-shaped loopback upstreams that
// record the multipart form they got: the SDK's repeated fields (`keywords[]`, `languages[]`,
// `timestamp_granularities[]`, `include[]`, `known_speaker_names[]`) reach the upstream as sent,
// repeated and in order, however many; a value OpenAI refuses is a 400 naming the field.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;
const seen: { url: string; body: Buffer }[] = [];
let upstream: Server;
let t: TestApp;
let base: string;
let upstreamBase: string;
let client: OpenAI;
const http = createHttpClient();

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ task: 'transcribe', language: 'english', duration: 3, text: 'hi' }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  upstreamBase = up;
  const stt = (name: string, extra: Record<string, unknown>) =>
    simDeployment(name, {
      kind: 'transcription',
      maxOutputTokens: undefined,
      simulation: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, perAudioMinute: 0.006 },
      ...extra,
    });
  const input = testConfigInput();
  input.deployments.push(
    stt('gt', { provider: 'openai', model: 'gpt-transcribe', baseUrl: `${up}/v1` }),
    stt('az-gt', {
      provider: 'azure',
      model: 'gpt-transcribe-east',
      baseUrl: up,
      apiVersion: '2025-04-01-preview',
    }),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    if (d.provider !== 'simulated') adapters[d.name] = createOpenAiAdapter(d, http, {});
  t = await buildTestApp(config, adapters);
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
});

afterAll(async () => {
  await t?.app.close();
  await http.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A form's text fields, in order, as [name, value]. */
function formFields(body: Buffer): [string, string][] {
  const text = body.toString('latin1');
  return [...text.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)].map((m) => [m[1]!, m[2]!]);
}

const audio = () => toFile(Buffer.from('RIFF....WAVEfmt '), 'a.wav', { type: 'audio/wav' });
/** More keywords than a form had room for fields (32). */
const KEYWORDS = Array.from({ length: 40 }, (_, i) => `term-${i}`);

describe('transcription form fields', () => {
  it('repeated fields reach OpenAI and Azure as the SDK sent them, in order', async () => {
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'k',
      apiVersion: '2025-04-01-preview',
      deployment: 'az-gt',
      maxRetries: 0,
    });
    const direct = new OpenAI({ baseURL: `${upstreamBase}/v1`, apiKey: 'k', maxRetries: 0 });
    for (const [sdk, model] of [
      [client, 'gt'],
      [azure, 'az-gt'],
    ] as const) {
      seen.length = 0;
      const params: OpenAI.Audio.TranscriptionCreateParamsNonStreaming = {
        file: await audio(),
        model,
        keywords: KEYWORDS,
        languages: ['nb', 'en'],
        known_speaker_names: ['agent', 'customer'],
        response_format: 'verbose_json',
        timestamp_granularities: ['word', 'segment'],
      };
      // What the SDK sends, straight to the upstream, then through the router.
      await direct.audio.transcriptions.create(params);
      await sdk.audio.transcriptions.create({ ...params, file: await audio() });
      expect(seen).toHaveLength(2);
      const [sent, got] = seen.map((s) =>
        formFields(s.body).filter(([name]) => name !== 'model'),
      ) as [[string, string][], [string, string][]];
      expect(got).toEqual(sent);
      expect(got.filter(([name]) => name === 'keywords[]').map(([, v]) => v)).toEqual(KEYWORDS);
      expect(got.filter(([name]) => name !== 'keywords[]')).toEqual([
        ['response_format', 'verbose_json'],
        ['languages[]', 'nb'],
        ['languages[]', 'en'],
        ['known_speaker_names[]', 'agent'],
        ['known_speaker_names[]', 'customer'],
        ['timestamp_granularities[]', 'word'],
        ['timestamp_granularities[]', 'segment'],
      ]);
    }
  });

  it('a timestamp granularity OpenAI does not have is a 400 naming it, with no upstream call', async () => {
    const e = await caught(
      client.audio.transcriptions.create({
        file: await audio(),
        model: 'gt',
        response_format: 'verbose_json',
        timestamp_granularities: ['word', 'char' as 'word'],
      }),
    );
    expect((e as BadRequest).status).toBe(400);
    expect((e as BadRequest).param).toBe('timestamp_granularities');
    expect((e as BadRequest).message).toMatch(/"char"/);
    expect(seen).toEqual([]);
  });
});
