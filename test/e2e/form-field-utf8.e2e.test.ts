// Multipart text fields that are not UTF-8, through the app on a loopback port with OpenAI-shaped
// loopback upstreams behind it: a transcription, translation, image edit or variation, or file
// upload whose text field holds bytes that spell no UTF-8 character is a 400 in OpenAI's shape
// naming the field, and nothing is sent upstream (busboy used to decode them as U+FFFD and the
// changed prompt went on with a 200). Valid text, declared `charset=utf-8` or not, reaches the
// upstream byte for byte, and so do file parts, whatever their bytes. The official `openai` SDK
// writes a string with a lone surrogate (half an emoji, cut by a string slice) as U+FFFD: refused.
import { createServer, type Server } from 'node:http';
import OpenAI, { BadRequestError, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { wavHeader } from '../../src/providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { createMemoryBatchStore } from '../../src/store/memory/memory-batch-store.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { listenInRange, listenServerInRange } from '../helpers/listen-in-range.js';
import { rawMultipart, type RawPart } from '../helpers/multipart-form.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

/** What reached the upstream: each request's path and body. */
const seen: { url: string; body: Buffer }[] = [];
let upstream: Server;
let t: TestApp;
let base: string;
let client: OpenAI;
const http = createHttpClient();

/** A WAV whose samples hold bytes that are no UTF-8 (0xFF, 0xFE, a lead byte with no follower). */
const WAV = Buffer.concat([wavHeader(8), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x80, 0, 0xed, 1])]);
/** A "PNG": the signature, then every byte value. */
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
]);
/** "café" in Latin-1: 0xE9 starts a three-byte UTF-8 character that never comes. */
const LATIN1_CAFE = Buffer.from('caf\xe9 au lait', 'latin1');
const VALID = 'Grüße, 日本語, café 🎤';

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        req.url?.includes('/images/')
          ? { created: 1_700_000_000, data: [{ b64_json: 'aW1n' }] }
          : { text: 'hello from upstream' },
      ),
    );
  });
  const upPort = await listenServerInRange(upstream, 47_135, 47_149);
  const up = `http://127.0.0.1:${upPort}/v1`;
  const input = testConfigInput();
  const upstreamOf = (name: string, kind: 'images' | 'transcription', model: string) =>
    simDeployment(name, {
      kind,
      provider: 'openai',
      model,
      baseUrl: up,
      apiKeyEnv: 'UP_KEY',
      simulation: undefined,
      maxOutputTokens: undefined,
    });
  input.deployments.push(
    upstreamOf('up-img', 'images', 'dall-e-2'),
    upstreamOf('up-stt', 'transcription', 'whisper-1'),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    adapters[d.name] = createOpenAiAdapter(d, http, { UP_KEY: 'sk-up' });
  t = await buildTestApp(config, adapters, { files: createMemoryBatchStore() });
  const port = await listenInRange(
    (p) => t.app.listen({ port: p, host: '127.0.0.1' }),
    47_125,
    47_134,
  );
  base = `http://127.0.0.1:${port}`;
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
});

afterAll(async () => {
  await t?.app.close();
  await http.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function post(path: string, parts: RawPart[]) {
  const form = rawMultipart(parts);
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: form.headers,
    body: form.payload,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The 400 for `field`, whose first non-UTF-8 byte stands at `character`. */
const notUtf8 = (field: string, character: number) => ({
  status: 400,
  body: {
    error: {
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: field,
      message: `Invalid '${field}': the multipart field is not valid UTF-8: character ${character} is U+FFFD, which the form's parser puts for bytes that are no UTF-8 character (and which a client's encoder writes for a lone surrogate, such as half an emoji). Send the field's text encoded as UTF-8 (text in Latin-1 or Windows-1252 converts with iconv -f WINDOWS-1252 -t UTF-8); a U+FFFD meant as part of the text cannot be told apart and is refused too.`,
    },
  },
});

const audio: RawPart = { name: 'file', value: WAV, filename: 'a.wav', contentType: 'audio/wav' };
const image: RawPart = { name: 'image', value: PNG, filename: 'x.png', contentType: 'image/png' };

/** The value of the text field `name` in a multipart body, as its bytes. */
function fieldBytes(body: Buffer, name: string): Buffer {
  const head = Buffer.from(`name="${name}"\r\n\r\n`);
  const start = body.indexOf(head) + head.length;
  return body.subarray(start, body.indexOf('\r\n--', start));
}

describe('multipart text fields that are not UTF-8', () => {
  it('a transcription prompt in Latin-1 is a 400 naming it; in UTF-8, declared or not, it goes on byte for byte', async () => {
    const before = seen.length;
    const r = await post('/v1/audio/transcriptions', [
      { name: 'model', value: 'up-stt' },
      { name: 'prompt', value: LATIN1_CAFE },
      audio,
    ]);
    expect(r).toEqual(notUtf8('prompt', 4));
    expect(seen.length).toBe(before);

    // As .NET's StringContent sends a field: the part declares its charset (busboy decodes by it,
    // so this is the case a latin1 decode checked again as UTF-8 would wrongly refuse).
    for (const contentType of ['text/plain; charset=utf-8', undefined]) {
      const ok = await post('/v1/audio/transcriptions', [
        { name: 'model', value: 'up-stt' },
        { name: 'prompt', value: VALID, ...(contentType ? { contentType } : {}) },
        { name: 'language', value: 'de' },
        audio,
      ]);
      expect(ok).toEqual({ status: 200, body: { text: 'hello from upstream' } });
      const sent = seen[seen.length - 1]!;
      expect(fieldBytes(sent.body, 'prompt')).toEqual(Buffer.from(VALID));
      expect(sent.body.includes(WAV)).toBe(true);
    }
    expect(seen.length).toBe(before + 2);
  });

  it('so is a translation prompt, a part declaring charset=utf-8, and bytes cut mid-character', async () => {
    const before = seen.length;
    expect(
      await post('/v1/audio/translations', [
        { name: 'model', value: 'up-stt' },
        audio,
        { name: 'prompt', value: LATIN1_CAFE },
      ]),
    ).toEqual(notUtf8('prompt', 4));
    expect(
      await post('/v1/audio/transcriptions', [
        { name: 'model', value: 'up-stt' },
        // "日本" with the last byte of 本 missing, then more text.
        {
          name: 'prompt',
          value: Buffer.concat([Buffer.from('日本').subarray(0, 5), Buffer.from(' then more')]),
          contentType: 'text/plain; charset=utf-8',
        },
        audio,
      ]),
    ).toEqual(notUtf8('prompt', 2));
    expect(seen.length).toBe(before);
  });

  it('an image edit prompt and a variation field: 400s naming them; the image bytes go on untouched', async () => {
    const before = seen.length;
    expect(
      await post('/v1/images/edits', [
        { name: 'model', value: 'up-img' },
        image,
        { name: 'prompt', value: Buffer.from([0x61, 0xc0, 0xaf, 0x62]) },
      ]),
    ).toEqual(notUtf8('prompt', 2));
    expect(
      await post('/v1/images/variations', [
        { name: 'model', value: 'up-img' },
        image,
        { name: 'user', value: Buffer.from([0x75, 0x73, 0xff]) },
      ]),
    ).toEqual(notUtf8('user', 3));
    expect(seen.length).toBe(before);

    const ok = await post('/v1/images/edits', [
      { name: 'model', value: 'up-img' },
      image,
      { name: 'prompt', value: VALID },
    ]);
    expect(ok.status).toBe(200);
    const sent = seen[seen.length - 1]!;
    expect(sent.url).toBe('/v1/images/edits');
    expect(fieldBytes(sent.body, 'prompt')).toEqual(Buffer.from(VALID));
    expect(sent.body.includes(PNG)).toBe(true);
  });

  it('a file upload: a text field that is not UTF-8 is a 400 naming it', async () => {
    const r = await post('/v1/files', [
      { name: 'purpose', value: 'batch' },
      { name: 'expires_after[anchor]', value: Buffer.from('created_at\xa0', 'latin1') },
      { name: 'expires_after[seconds]', value: '86400' },
      { name: 'file', value: '{}\n', filename: 'in.jsonl', contentType: 'application/jsonl' },
    ]);
    expect(r).toEqual(notUtf8('expires_after[anchor]', 11));
  });

  it('the openai SDK: a prompt holding half an emoji is refused; a whole one reaches the upstream', async () => {
    const before = seen.length;
    const file = await toFile(WAV, 'a.wav', { type: 'audio/wav' });
    // A prompt cut to 20 UTF-16 units splits the microphone emoji: its high surrogate is left.
    const cut = `${'x'.repeat(19)}🎤 and the rest`.slice(0, 20);
    const err = await client.audio.transcriptions
      .create({ model: 'up-stt', file, prompt: cut })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).error).toEqual(notUtf8('prompt', 20).body.error);
    expect(seen.length).toBe(before);

    const r = await client.audio.transcriptions.create({ model: 'up-stt', file, prompt: VALID });
    expect(r.text).toBe('hello from upstream');
    const sent = seen[seen.length - 1]!;
    expect(fieldBytes(sent.body, 'prompt')).toEqual(Buffer.from(VALID));
    expect(sent.body.includes(WAV)).toBe(true);
  });
});
