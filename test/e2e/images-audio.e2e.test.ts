// `/v1/images/generations`, `/v1/audio/speech`, `/v1/audio/transcriptions` and `/translations`
// with the official `openai` SDK (OpenAI and AzureOpenAI classes) against the app on a loopback
// port: the simulated image, speech and transcription models; OpenAI- and Azure-shaped loopback
// upstreams through the real adapter (what reached them, the multipart form byte for byte); a pool
// failing over; the request log's records and their cost; a key scoped elsewhere; bad input.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ANONYMOUS } from '../../src/gateway/gateway-types.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import { wavHeader } from '../../src/providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { MAX_AUDIO_BYTES } from '../../src/http/routes/audio-routes.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

interface Seen {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
const seen: Seen[] = [];
let upstream: Server;
let t: TestApp;
let base: string;
let client: OpenAI;
const http = createHttpClient();

const PNG_B64 = Buffer.from('not-really-a-png').toString('base64');
/** Speech bytes the upstream sends in three pieces, with a pause the router must not wait out. */
const MP3 = Buffer.from('ID3\u0004fake-mp3-bytes-'.repeat(100));
/** Lets the slow speech upstream send the rest of its audio, once the client has its start. */
let releaseSpeech: () => void = () => {};
/** Resolves when the hanging speech upstream's client (the router) closes the connection. */
let hangClosed: Promise<void> = Promise.resolve();

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    seen.push({ url: req.url ?? '', headers: req.headers, body });
    if (req.url?.startsWith('/hang/'))
      hangClosed = new Promise((resolve) => res.on('close', () => resolve()));
    const url = req.url ?? '';
    if (url.startsWith('/reject/')) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          error: {
            message: 'Your request was rejected as a result of our safety system.',
            type: 'invalid_request_error',
            param: null,
            code: 'content_policy_violation',
          },
        }),
      );
    }
    if (url.startsWith('/down/')) {
      res.writeHead(503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }));
    }
    if (url.includes('/images/generations')) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining-requests': '7',
      });
      return res.end(
        JSON.stringify({
          created: 1_700_000_000,
          data: [{ b64_json: PNG_B64, revised_prompt: 'a cat, revised' }],
          usage: {
            input_tokens: 10,
            output_tokens: 1000,
            total_tokens: 1010,
            input_tokens_details: { text_tokens: 10, image_tokens: 0 },
          },
        }),
      );
    }
    if (url.startsWith('/hang/')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.write(Buffer.from('ID3-first'));
      return; // never ends: only the router's abort closes it
    }
    if (url.startsWith('/slow/')) {
      res.writeHead(200, { 'content-type': 'audio/ogg' });
      res.write(Buffer.from('OggS-first-page'));
      await new Promise<void>((resolve) => (releaseSpeech = resolve));
      return res.end(Buffer.from('-last-page'));
    }
    if (url.includes('/audio/speech')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      res.write(MP3.subarray(0, 700));
      res.write(MP3.subarray(700, 1400));
      return res.end(MP3.subarray(1400));
    }
    if (url.includes('/audio/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          task: 'transcribe',
          language: 'english',
          duration: 90,
          text: 'hello from upstream',
        }),
      );
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const media = (name: string, kind: 'images' | 'speech' | 'transcription', extra = {}) =>
    simDeployment(name, { kind, model: `${name}-model`, maxOutputTokens: undefined, ...extra });
  const input = testConfigInput({
    pools: [{ name: 'img-pool', deployments: ['down-img', 'up-img'], strategy: 'priority' }],
  });
  input.deployments.push(
    media('img', 'images', {
      prices: {
        inputPer1M: 0,
        outputPer1M: 0,
        perImage: 0.04,
        perImageBy: { 'hd/1024x1792': 0.12 },
      },
    }),
    media('tts', 'speech', { prices: { inputPer1M: 0, outputPer1M: 0, inputCharsPer1M: 15 } }),
    media('stt', 'transcription', {
      prices: { inputPer1M: 0, outputPer1M: 0, perAudioMinute: 0.006 },
    }),
    media('up-img', 'images', {
      provider: 'openai',
      model: 'gpt-image-1',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
      simulation: undefined,
      prices: { inputPer1M: 5, outputPer1M: 40, perImage: 0.01 },
    }),
    media('down-img', 'images', {
      provider: 'openai-compatible',
      baseUrl: `${up}/down/v1`,
      simulation: undefined,
    }),
    media('reject-img', 'images', {
      provider: 'openai-compatible',
      baseUrl: `${up}/reject/v1`,
      simulation: undefined,
    }),
    media('hang-tts', 'speech', {
      provider: 'openai-compatible',
      baseUrl: `${up}/hang/v1`,
      simulation: undefined,
    }),
    media('slow-tts', 'speech', {
      provider: 'openai-compatible',
      baseUrl: `${up}/slow/v1`,
      simulation: undefined,
    }),
    media('up-tts', 'speech', {
      provider: 'openai',
      model: 'tts-1',
      baseUrl: `${up}/v1`,
      simulation: undefined,
    }),
    media('az-img', 'images', {
      provider: 'azure',
      model: 'dalle3-east',
      baseUrl: up,
      apiVersion: '2025-04-01-preview',
      simulation: undefined,
    }),
    media('az-stt', 'transcription', {
      provider: 'azure',
      model: 'whisper-east',
      baseUrl: up,
      apiVersion: '2025-04-01-preview',
      simulation: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, perAudioMinute: 0.006 },
    }),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    adapters[d.name] =
      d.provider === 'simulated'
        ? createSimulatedAdapter(d, { now: () => 1_700_000_000_000 })
        : createOpenAiAdapter(d, http, { UP_KEY: 'sk-up' });
  t = await buildTestApp(config, adapters, {
    authenticator: {
      authenticate: (headers) =>
        headers.authorization === 'Bearer chat-only'
          ? { tenant: 'team-c', admin: false, scopes: ['model-router'] }
          : ANONYMOUS,
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
});

afterAll(async () => {
  await t?.app.close();
  await http.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** The PNG's width, height, and its pixels inflate to the size they should. */
function readPng(b64: string): { width: number; height: number; pixels: number } {
  const png = Buffer.from(b64, 'base64');
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idatAt = png.indexOf('IDAT');
  const idat = png.subarray(idatAt + 4, idatAt + 4 + png.readUInt32BE(idatAt - 4));
  return { width, height, pixels: inflateSync(idat).length };
}

const lastRecord = () => t.records[t.records.length - 1]!;

describe('images: POST /v1/images/generations', () => {
  it('the simulated model: a valid PNG per image, the same for the same prompt; logged with its cost', async () => {
    const a = await client.images.generate({ model: 'img', prompt: 'a red fox', n: 2 });
    expect(a.data).toHaveLength(2);
    const png = readPng(a.data![0]!.b64_json!);
    expect(png).toEqual({ width: 64, height: 64, pixels: 64 * (1 + 64 * 3) });
    expect(a.data![0]!.b64_json).not.toBe(a.data![1]!.b64_json);
    const again = await client.images.generate({ model: 'img', prompt: 'a red fox', n: 2 });
    expect(again.data![0]!.b64_json).toBe(a.data![0]!.b64_json);
    const other = await client.images.generate({ model: 'img', prompt: 'a blue whale' });
    expect(other.data![0]!.b64_json).not.toBe(a.data![0]!.b64_json);
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.generations',
      deployment: 'img',
      status: 200,
    });
    expect(lastRecord().costUsd).toBeCloseTo(0.04, 10);
    // Priced by quality and size where the deployment says.
    await client.images.generate({
      model: 'img',
      prompt: 'x',
      quality: 'hd',
      size: '1024x1792',
      n: 3,
    });
    expect(lastRecord().costUsd).toBeCloseTo(0.36, 10);
  });

  it('response_format url on the simulated model: a data URL of the PNG', async () => {
    const r = await client.images.generate({
      model: 'img',
      prompt: 'a red fox',
      response_format: 'url',
    });
    const url = r.data![0]!.url!;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(readPng(url.slice('data:image/png;base64,'.length)).width).toBe(64);
  });

  it('an OpenAI upstream: the body passed through with its model name; tokens and images costed', async () => {
    seen.length = 0;
    const { data, response } = await client.images
      .generate({
        model: 'up-img',
        prompt: 'a cat',
        size: '1024x1024',
        quality: 'low',
        moderation: 'low',
      })
      .withResponse();
    expect(data.data![0]).toEqual({ b64_json: PNG_B64, revised_prompt: 'a cat, revised' });
    expect(response.headers.get('x-router-deployment')).toBe('up-img');
    expect(response.headers.get('x-upstream-x-ratelimit-remaining-requests')).toBe('7');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/v1/images/generations');
    expect(seen[0]!.headers.authorization).toBe('Bearer sk-up');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({
      model: 'gpt-image-1',
      prompt: 'a cat',
      size: '1024x1024',
      quality: 'low',
      moderation: 'low',
    });
    // 10 input tokens at $5/1M + 1000 output tokens at $40/1M; the reply's output tokens bill
    // its image, so the deployment's $0.01 per image is not added (media-cost.ts).
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.generations',
      promptTokens: 10,
      completionTokens: 1000,
    });
    expect(lastRecord().costUsd).toBeCloseTo(0.00005 + 0.04, 10);
  });

  it('an Azure upstream through the AzureOpenAI client: the dated deployment path and api-key', async () => {
    seen.length = 0;
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'k',
      apiVersion: '2025-04-01-preview',
      deployment: 'az-img',
      maxRetries: 0,
    });
    const r = await azure.images.generate({ model: 'az-img', prompt: 'a cat' });
    expect(r.data![0]!.b64_json).toBe(PNG_B64);
    expect(seen[0]!.url).toBe(
      '/openai/deployments/dalle3-east/images/generations?api-version=2025-04-01-preview',
    );
    expect(seen[0]!.headers['api-key']).toBeUndefined(); // no apiKeyEnv on this one
    expect(JSON.parse(seen[0]!.body.toString())).toMatchObject({
      model: 'dalle3-east',
      prompt: 'a cat',
    });
    const v1 = await fetch(`${base}/openai/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'img', prompt: 'p' }),
    });
    expect(v1.status).toBe(200);
  });

  it('a pool fails over from an upstream answering 503 before the first byte', async () => {
    seen.length = 0;
    const { response } = await client.images
      .generate({ model: 'img-pool', prompt: 'a cat' })
      .withResponse();
    expect(response.headers.get('x-router-deployment')).toBe('up-img');
    expect(response.headers.get('x-router-attempts')).toBe('2');
    expect(seen.map((s) => s.url)).toEqual([
      '/down/v1/images/generations',
      '/v1/images/generations',
    ]);
    expect(lastRecord()).toMatchObject({
      router: 'img-pool',
      attempts: [{ outcome: 'error' }, { outcome: 'ok' }],
    });
  });
});

describe('upstream refusals', () => {
  it("an upstream's 400 reaches the client in OpenAI's shape, its code kept, and is logged", async () => {
    const refused = await client.images
      .generate({ model: 'reject-img', prompt: 'x' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'content_policy_violation' });
    expect((refused as Error).message).toContain('rejected as a result of our safety system');
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.generations',
      deployment: 'reject-img',
      status: 400,
      errorCode: 'content_policy_violation',
      costUsd: 0,
    });
  });
});

describe('speech: POST /v1/audio/speech', () => {
  it('the simulated model: a WAV whose length follows the text; costed per character', async () => {
    const res = await client.audio.speech.create({
      model: 'tts',
      voice: 'alloy',
      input: 'Hello there!',
    });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt32LE(24)).toBe(8000);
    // 12 characters × 60 ms × 8,000 samples/s × 2 bytes.
    expect(wav.readUInt32LE(40)).toBe(12 * 0.06 * 8000 * 2);
    expect(wav.length).toBe(44 + 12 * 0.06 * 8000 * 2);
    expect(lastRecord()).toMatchObject({
      endpoint: 'audio.speech',
      deployment: 'tts',
      status: 200,
    });
    expect(lastRecord().costUsd).toBeCloseTo((12 * 15) / 1e6, 12);
  });

  it('an OpenAI upstream: its audio and content type sent on, the body passed through', async () => {
    seen.length = 0;
    const res = await client.audio.speech.create({
      model: 'up-tts',
      voice: 'nova',
      input: 'Hi',
      response_format: 'mp3',
      instructions: 'cheerful',
    });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(MP3);
    expect(seen[0]!.url).toBe('/v1/audio/speech');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({
      model: 'tts-1',
      voice: 'nova',
      input: 'Hi',
      response_format: 'mp3',
      instructions: 'cheerful',
    });
  });
});

describe('speech streams through', () => {
  it('the client reads the first audio before the upstream has sent the rest', async () => {
    const res = await client.audio.speech.create({
      model: 'slow-tts',
      voice: 'alloy',
      input: 'Hi',
      response_format: 'opus',
    });
    expect(res.headers.get('content-type')).toBe('audio/ogg');
    const reader = res.body!.getReader();
    // Were the audio buffered whole, this read would wait for a release that never comes.
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('OggS-first-page');
    releaseSpeech();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += Buffer.from(r.value).toString();
    expect(rest).toBe('-last-page');
    // The record is finished with the audio's end, before the client sees it.
    expect(lastRecord()).toMatchObject({
      endpoint: 'audio.speech',
      deployment: 'slow-tts',
      status: 200,
    });
  });
});

describe('a client that leaves mid-speech', () => {
  it('aborts the upstream call, and the record says 499', async () => {
    const abort = new AbortController();
    const res = await client.audio.speech.create(
      { model: 'hang-tts', voice: 'alloy', input: 'Hi' },
      { signal: abort.signal },
    );
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('ID3-first');
    abort.abort();
    // The upstream's connection closes only if the router aborted its call.
    await hangClosed;
    // The record is written after the abort: waited for by a deadline only a failure reaches (50
    // polls of 20 ms were a second's budget, which a loaded machine can use up).
    const until = Date.now() + 10_000;
    while (lastRecord().deployment !== 'hang-tts' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(lastRecord()).toMatchObject({
      endpoint: 'audio.speech',
      deployment: 'hang-tts',
      status: 499,
      errorCode: 'client_closed_request',
    });
  });
});

describe('transcriptions: POST /v1/audio/transcriptions and /translations', () => {
  const wav = Buffer.concat([wavHeader(8000 * 2 * 30), Buffer.alloc(8000 * 2 * 30)]); // 30 s

  it('the simulated model: a deterministic, plainly fake transcript; 30 s of WAV costed as half a minute', async () => {
    const r = await client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav'),
      model: 'stt',
    });
    expect(r.text).toMatch(
      /^Simulated transcript of a\.wav \(480044 bytes, sha256 [0-9a-f]{12}\): /,
    );
    const again = await client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav'),
      model: 'stt',
    });
    expect(again.text).toBe(r.text);
    expect(lastRecord()).toMatchObject({
      endpoint: 'audio.transcriptions',
      deployment: 'stt',
      status: 200,
    });
    expect(lastRecord().costUsd).toBeCloseTo(0.003, 10);
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(wav, 'a.wav'),
      model: 'stt',
      response_format: 'verbose_json',
    });
    expect(verbose).toMatchObject({ duration: 30, task: 'transcribe', text: r.text });
    const srt = await client.audio.translations.create({
      file: await toFile(wav, 'b.wav'),
      model: 'stt',
      response_format: 'srt',
    });
    expect(String(srt)).toMatch(
      /^1\n00:00:00,000 --> 00:00:30,000\nSimulated translation of b\.wav/,
    );
    expect(lastRecord()).toMatchObject({ endpoint: 'audio.translations' });
    expect(lastRecord().costUsd).toBeCloseTo(0.003, 10);
  });

  it('an Azure upstream: the form reaches it intact (fields, file name and bytes), model renamed', async () => {
    seen.length = 0;
    const audio = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 256));
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'k',
      apiVersion: '2025-04-01-preview',
      deployment: 'az-stt',
      maxRetries: 0,
    });
    const r = await azure.audio.transcriptions.create({
      file: await toFile(audio, 'meeting.mp3', { type: 'audio/mpeg' }),
      model: 'az-stt',
      response_format: 'verbose_json',
      language: 'en',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(r).toMatchObject({ text: 'hello from upstream', duration: 90 });
    const got = seen[0]!;
    expect(got.url).toBe(
      '/openai/deployments/whisper-east/audio/transcriptions?api-version=2025-04-01-preview',
    );
    const type = String(got.headers['content-type']);
    expect(type).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(got.body, { headers: { 'content-type': type } }).formData();
    expect(form.get('model')).toBe('whisper-east');
    expect(form.get('response_format')).toBe('verbose_json');
    expect(form.get('language')).toBe('en');
    expect(form.getAll('timestamp_granularities[]')).toEqual(['word', 'segment']);
    const file = form.get('file') as File;
    expect(file.name).toBe('meeting.mp3');
    expect(file.type).toBe('audio/mpeg');
    expect(Buffer.from(await file.arrayBuffer())).toEqual(audio);
    // The reply's `duration` (90 s) at $0.006 a minute.
    expect(lastRecord()).toMatchObject({ endpoint: 'audio.transcriptions', deployment: 'az-stt' });
    expect(lastRecord().costUsd).toBeCloseTo(0.009, 10);
  });
});

describe('refusals in OpenAI’s error shape', () => {
  it('bad input names the field', async () => {
    await expect(client.images.generate({ model: 'img', prompt: '' })).rejects.toMatchObject({
      status: 400,
      param: 'prompt',
    });
    await expect(client.images.generate({ model: 'img', prompt: 'x', n: 0 })).rejects.toMatchObject(
      { status: 400, param: 'n' },
    );
    await expect(
      client.images.generate({ model: 'img', prompt: 'x', response_format: 'png' as never }),
    ).rejects.toMatchObject({ status: 400, param: 'response_format' });
    await expect(
      client.audio.speech.create({ model: 'tts', voice: 'alloy', input: '' }),
    ).rejects.toMatchObject({ status: 400, param: 'input' });
    await expect(
      client.audio.speech.create({ model: 'tts', input: 'x' } as never),
    ).rejects.toMatchObject({ status: 400, param: 'voice' });
    await expect(
      client.audio.transcriptions.create({
        file: await toFile(Buffer.from('x'), 'a.wav'),
        model: 'stt',
        response_format: 'mp3' as never,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'response_format' });
    const noFile = new FormData();
    noFile.set('model', 'stt');
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: noFile });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'file' },
    });
    const twoFiles = new FormData();
    twoFiles.set('model', 'stt');
    twoFiles.append('file', new Blob([Buffer.from('a')]), 'a.wav');
    twoFiles.append('file', new Blob([Buffer.from('b')]), 'b.wav');
    const two = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: twoFiles });
    expect(two.status).toBe(400);
    expect(await two.json()).toMatchObject({ error: { param: 'file' } });
    // Larger than OpenAI's 25 MB: a 413 naming the file, and the server carries on.
    const huge = new FormData();
    huge.set('model', 'stt');
    huge.set('file', new Blob([Buffer.alloc(MAX_AUDIO_BYTES + 1)]), 'huge.wav');
    const tooLarge = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', body: huge });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({
      error: { code: 'file_too_large', param: 'file' },
    });
    const json = await fetch(`${base}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"stt"}',
    });
    expect(json.status).toBe(400);
  });

  it('a chat model, an unknown model, a model of another kind', async () => {
    await expect(client.images.generate({ model: 'big', prompt: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 'model_not_images',
      param: 'model',
    });
    await expect(
      client.images.generate({ model: 'model-router', prompt: 'x' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'model_not_images',
    });
    await expect(client.images.generate({ model: 'nope', prompt: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    await expect(
      client.audio.speech.create({ model: 'stt', voice: 'alloy', input: 'x' }),
    ).rejects.toMatchObject({ status: 400, code: 'model_not_speech' });
  });

  it('a key scoped to a router may not use an image model: 403, and the log says so', async () => {
    const chatOnly = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'chat-only', maxRetries: 0 });
    const refused = await chatOnly.images
      .generate({ model: 'img', prompt: 'x' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.generations',
      status: 403,
      tenant: 'team-c',
    });
    await expect(
      chatOnly.audio.transcriptions.create({
        file: await toFile(Buffer.from('x'), 'a.wav'),
        model: 'stt',
      }),
    ).rejects.toMatchObject({ status: 403 });
  });
});
