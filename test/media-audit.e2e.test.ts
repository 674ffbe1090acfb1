// The media endpoints' gaps a black-box audit found (media audit, 2026-12-06), through the whole
// router (createRuntime + app.inject) with simulated models and OpenAI-shaped upstreams on
// loopback: image quality and size checked per model family (F3); a wrong edit file told as what
// its bytes are (F4); an images reply with no image failed over (F6); and the small ones (F8): a
// mask sent as text, diarized_json on translations, moderation image URLs, embeddings past the
// window and without usage, null optional fields, a timeout's words, speech instructions filtered.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { simulatedPng } from '../src/providers/simulated/simulated-media.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { listenServerInRange } from './helpers/listen-in-range.js';
import {
  simDeployment,
  simEmbeddingDeployment,
  simModerationDeployment,
  testConfigInput,
} from './helpers/test-config.js';

type Json = Record<string, unknown>;

/** What the loopback upstream got, by path; how it answers each path (else 404). */
const got: { path: string; body: Json }[] = [];
let answer: Record<string, (res: ServerResponse) => void> = {};
let upstream: Server;
let port: number;
let rt: Runtime;

const json = (body: unknown) => (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const ONE_IMAGE = json({ created: 1, data: [{ b64_json: 'eA==' }] });

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += String(c)));
    req.on('end', () => {
      const path = req.url!.replace(/^\/[^/]+\/v1/, '');
      got.push({ path: req.url!, body: text ? (JSON.parse(text) as Json) : {} });
      const send = answer[req.url!] ?? answer[path];
      if (send) return send(res);
      res.writeHead(404).end();
    });
  });
  port = await listenServerInRange(upstream, 47150, 47199);
  vi.stubEnv('MEDIA_AUDIT_KEY', 'sk-up');
  const at = (name: string, kind: 'images' | 'embeddings' | 'speech', model: string, more = {}) =>
    simDeployment(name, {
      kind,
      provider: 'openai',
      model,
      baseUrl: `http://127.0.0.1:${port}/${name}/v1`,
      apiKeyEnv: 'MEDIA_AUDIT_KEY',
      simulation: undefined,
      maxOutputTokens: undefined,
      ...more,
    });
  const FILTER = {
    enabled: true,
    rules: [
      { id: 'pii', kind: 'pii', patterns: ['email'], action: 'redact', appliesTo: 'input' },
      {
        id: 'no-secrets',
        kind: 'keyword',
        patterns: ['project-x'],
        action: 'block',
        appliesTo: 'input',
      },
    ],
  } as NonNullable<Parameters<typeof testConfigInput>[0]>['contentFilter'];
  const input = testConfigInput({ contentFilter: FILTER });
  const sim = (name: string, kind: 'images' | 'speech' | 'transcription', model: string) =>
    simDeployment(name, { kind, model, maxOutputTokens: undefined });
  input.deployments.push(
    sim('dalle3', 'images', 'dall-e-3'),
    sim('dalle2', 'images', 'dall-e-2'),
    sim('gptimg', 'images', 'gpt-image-1'),
    sim('gptimg2', 'images', 'gpt-image-2'),
    sim('stt', 'transcription', 'whisper-1'),
    simModerationDeployment('mod'),
    simEmbeddingDeployment('emb-sim'),
    at('empty', 'images', 'gpt-image-1'),
    at('full', 'images', 'gpt-image-1'),
    at('slow', 'images', 'gpt-image-1', { timeoutMs: 200 }),
    at('emb', 'embeddings', 'text-embedding-3-small', { contextWindow: 50 }),
    at('tts', 'speech', 'gpt-4o-mini-tts'),
  );
  input.pools = [
    { name: 'any-image', deployments: ['gptimg', 'dalle3'] },
    { name: 'falls-over', deployments: ['empty', 'full'], strategy: 'priority' },
  ];
  rt = await createRuntime(parseConfig(input, {}).config);
});

afterAll(async () => {
  await rt?.close();
  upstream?.close();
  vi.unstubAllEnvs();
});

const post = (url: string, payload: Json) => rt.app.inject({ method: 'POST', url, payload });

/** A multipart form, `set` filling it. */
async function postForm(url: string, set: (f: FormData) => void) {
  const form = new FormData();
  set(form);
  const req = new Request('http://router.test', { method: 'POST', body: form });
  return rt.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': req.headers.get('content-type')! },
    payload: Buffer.from(await req.arrayBuffer()),
  });
}
const PNG = () => new Blob([simulatedPng('source', 0)], { type: 'image/png' });

describe('image quality and size (F3)', () => {
  it('a quality OpenAI does not name is a 400 listing those it does', async () => {
    const r = await post('/v1/images/generations', {
      model: 'gptimg',
      prompt: 'x',
      quality: 'ultra',
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({
      param: 'quality',
      message:
        'quality must be one of "standard", "hd", "low", "medium", "high", "xhigh", "max", "auto" (got "ultra").',
    });
  });

  it('each model family takes its own qualities and sizes', async () => {
    const gen = (model: string, more: Json) =>
      post('/v1/images/generations', { model, prompt: 'a cat', ...more });
    const refused = async (model: string, more: Json, param: string, text: string) => {
      const r = await gen(model, more);
      expect([model, more, r.statusCode]).toEqual([model, more, 400]);
      expect(r.json().error.param).toBe(param);
      expect(r.json().error.message).toContain(text);
    };
    await refused('dalle3', { quality: 'low' }, 'quality', 'use "standard", "hd", "auto"');
    await refused('dalle3', { size: '1536x1024' }, 'size', '"1024x1024", "1792x1024", "1024x1792"');
    await refused('dalle2', { quality: 'hd' }, 'quality', 'dalle2 (dall-e-2) takes');
    await refused('dalle2', { size: 'auto' }, 'size', '"256x256", "512x512", "1024x1024"');
    await refused('gptimg', { quality: 'hd' }, 'quality', '"low", "medium", "high", "auto"');
    await refused('gptimg', { size: '1792x1024' }, 'size', '"1536x1024", "1024x1536", "auto"');
    await refused('gptimg2', { size: '1000x1000' }, 'size', 'multiples of 16');
    await refused('gptimg2', { size: '4096x1024' }, 'size', 'within 3:1');
    for (const [model, more] of [
      ['dalle3', { quality: 'hd', size: '1792x1024' }],
      ['dalle2', { quality: 'standard', size: '512x512' }],
      ['gptimg', { quality: 'high', size: '1536x1024' }],
      ['gptimg2', { quality: 'auto', size: '1536x864' }],
      ['gptimg', { quality: null, size: null }],
    ] as const)
      expect([model, (await gen(model, more)).statusCode]).toEqual([model, 200]);
  });

  it('a pool sends each request to a member that takes it', async () => {
    const hd = await post('/v1/images/generations', {
      model: 'any-image',
      prompt: 'x',
      quality: 'hd',
    });
    expect(hd.statusCode).toBe(200);
    expect(hd.headers['x-router-deployment']).toBe('dalle3');
    const low = await post('/v1/images/generations', {
      model: 'any-image',
      prompt: 'x',
      quality: 'low',
    });
    expect(low.headers['x-router-deployment']).toBe('gptimg');
    const none = await post('/v1/images/generations', {
      model: 'any-image',
      prompt: 'x',
      size: '256x256',
    });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.param).toBe('size');
  });

  it('edits: the quality and size of the form and of a JSON edit are checked too', async () => {
    const hd = await postForm('/v1/images/edits', (f) => {
      f.set('model', 'gptimg');
      f.set('prompt', 'p');
      f.set('quality', 'hd');
      f.set('image', PNG(), 'a.png');
    });
    expect(hd.statusCode).toBe(400);
    expect(hd.json().error).toMatchObject({ param: 'quality' });
    const size = await postForm('/v1/images/edits', (f) => {
      f.set('model', 'gptimg');
      f.set('prompt', 'p');
      f.set('size', '1792x1024');
      f.set('image', PNG(), 'a.png');
    });
    expect(size.statusCode).toBe(400);
    expect(size.json().error.message).toContain('size "1792x1024" is not one gptimg');
    const jsonEdit = await post('/v1/images/edits', {
      model: 'gptimg',
      prompt: 'p',
      images: [{ image_url: 'https://example.com/a.png' }],
      quality: 'ultra',
    });
    expect(jsonEdit.statusCode).toBe(400);
    expect(jsonEdit.json().error.param).toBe('quality');
  });
});

describe('image edit files (F4, F8)', () => {
  it('a file that is no image says what its bytes are, apart from what it was sent as', async () => {
    const r = await postForm('/v1/images/edits', (f) => {
      f.set('model', 'gptimg');
      f.set('prompt', 'p');
      f.set('image', new Blob(['hello, not an image'], { type: 'image/png' }), 'a.png');
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toEqual({
      type: 'invalid_request_error',
      code: 'invalid_image_format',
      param: 'image',
      message:
        "image (a.png) is not a PNG, JPEG or WebP image: its bytes are text, not an image; it was sent as image/png, but an image's type is read from its bytes. Send a PNG, JPEG or WebP image.",
    });
    const gif = await postForm('/v1/images/edits', (f) => {
      f.set('model', 'gptimg');
      f.set('prompt', 'p');
      f.set('image', new Blob(['GIF89a\x01\0\x01\0'], { type: 'image/gif' }), 'a.gif');
    });
    expect(gif.json().error.message).toContain('its bytes are a GIF image (image/gif)');
  });

  it('a mask sent as a text field is a 400, not an edit made without it', async () => {
    const r = await postForm('/v1/images/edits', (f) => {
      f.set('model', 'gptimg');
      f.set('prompt', 'p');
      f.set('image', PNG(), 'a.png');
      f.set('mask', 'mask.png');
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ param: 'mask', code: 'invalid_type' });
    expect(r.json().error.message).toContain('mask must be a file part');
  });
});

describe('an images reply with no image (F6)', () => {
  it('is a malformed reply: 502 alone, failed over in a pool', async () => {
    answer = { '/empty/v1/images/generations': json({ created: 1, data: [] }) };
    answer['/full/v1/images/generations'] = ONE_IMAGE;
    const alone = await post('/v1/images/generations', { model: 'empty', prompt: 'x' });
    expect(alone.statusCode).toBe(502);
    expect(alone.json().error.code).toBe('upstream_malformed_response');
    const pooled = await post('/v1/images/generations', { model: 'falls-over', prompt: 'x' });
    expect(pooled.statusCode).toBe(200);
    expect(pooled.json().data).toHaveLength(1);
    expect(pooled.headers['x-router-deployment']).toBe('full');
    expect(pooled.headers['x-router-attempts']).toBe('2');
  });
});

describe('the small ones (F8)', () => {
  it('an upstream that does not answer in time is a timeout, said so', async () => {
    answer = { '/slow/v1/images/generations': () => {} };
    const r = await post('/v1/images/generations', { model: 'slow', prompt: 'x' });
    expect(r.statusCode).toBe(504);
    expect(r.json().error).toMatchObject({
      type: 'timeout_error',
      code: 'upstream_timeout',
      message: 'Deployment slow: timed out after 0.2 s with no reply (its timeoutMs, 200).',
    });
  });

  it('diarized_json is for transcriptions; translations refuse it', async () => {
    const send = (operation: string) =>
      postForm(`/v1/audio/${operation}`, (f) => {
        f.set('model', 'stt');
        f.set('response_format', 'diarized_json');
        f.set('file', new Blob([Buffer.from('RIFFxxxx')], { type: 'audio/wav' }), 'a.wav');
      });
    const translation = await send('translations');
    expect(translation.statusCode).toBe(400);
    expect(translation.json().error).toMatchObject({ param: 'response_format' });
    expect(translation.json().error.message).toContain('diarized_json is for transcriptions only');
    expect((await send('transcriptions')).statusCode).toBe(200);
  });

  it('a moderation image part takes an http(s) or data URL only', async () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'ftp://x.example/a.png']) {
      const r = await post('/v1/moderations', {
        model: 'mod',
        input: [{ type: 'image_url', image_url: { url } }],
      });
      expect([url, r.statusCode]).toEqual([url, 400]);
      expect(r.json().error).toMatchObject({
        param: 'input[0].image_url.url',
        code: 'invalid_image_url',
      });
    }
    for (const url of ['https://x.example/a.png', 'data:image/png;base64,iVBORw0KGgo='])
      expect(
        (
          await post('/v1/moderations', {
            model: 'mod',
            input: [{ type: 'image_url', image_url: { url } }],
          })
        ).statusCode,
      ).toBe(200);
  });

  it('embeddings: an input past the window is a 400 before any upstream call', async () => {
    answer = {
      '/emb/v1/embeddings': json({
        object: 'list',
        model: 'text-embedding-3-small',
        data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
      }),
    };
    got.length = 0;
    const over = await post('/v1/embeddings', {
      model: 'emb',
      input: ['short', 'word '.repeat(60)],
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({
      param: 'input[1]',
      code: 'context_length_exceeded',
      message: expect.stringContaining('over the 50-token limit'),
    });
    expect(got).toEqual([]);
    // 150 bytes, 30 tokens: counted, not refused on its size.
    const within = await post('/v1/embeddings', { model: 'emb', input: 'word '.repeat(30) });
    expect(within.statusCode).toBe(200);
  });

  it('embeddings: a reply without usage gets the router estimate; null options are left out', async () => {
    got.length = 0;
    const r = await post('/v1/embeddings', {
      model: 'emb',
      input: 'hello there',
      encoding_format: null,
      dimensions: null,
    });
    expect(r.statusCode).toBe(200);
    expect(r.json().usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(got[0]!.body).toEqual({ model: 'text-embedding-3-small', input: 'hello there' });
    const sim = await post('/v1/embeddings', {
      model: 'emb-sim',
      input: 'x',
      encoding_format: null,
    });
    expect(sim.statusCode).toBe(200);
  });

  it('speech: null options are left out; the instructions go through the content filter', async () => {
    answer = {
      '/tts/v1/audio/speech': (res) => {
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.end('ID3 fake');
      },
    };
    got.length = 0;
    const speak = (more: Json) =>
      post('/v1/audio/speech', { model: 'tts', voice: 'alloy', input: 'hello', ...more });
    const nulls = await speak({ response_format: null, speed: null, instructions: null });
    expect(nulls.statusCode).toBe(200);
    expect(got[0]!.body).toEqual({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'hello' });
    const blocked = await speak({ instructions: 'speak as the project-x lead' });
    expect(blocked.statusCode).toBe(400);
    expect(blocked.json().error.code).toBe('content_filter');
    expect(got).toHaveLength(1);
    const redacted = await speak({ instructions: 'read it to ann@example.com' });
    expect(redacted.statusCode).toBe(200);
    expect(got[1]!.body.instructions).toBe('read it to [redacted:email]');
    expect(got[1]!.body.input).toBe('hello');
    const typed = await speak({ instructions: 7 });
    expect(typed.statusCode).toBe(400);
    expect(typed.json().error.param).toBe('instructions');
  });
});
