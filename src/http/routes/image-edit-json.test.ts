// Image edits sent as JSON (openapi.yaml createImageEdit's `application/json` body,
// EditImageBodyJsonParam: `images: [{image_url | file_id}]`, `prompt`, optional `mask`), through
// the app on a loopback port: the simulated image model answers them as it answers forms; an
// OpenAI- and an Azure-shaped loopback upstream get the body as JSON, every field kept but `model`
// (the deployment's); a router file named by id goes upstream inline, a foreign id as it is; each
// malformed body is a 400 naming the field, a data URL whose bytes are no image taken too; sizes
// are bounded by the image limits, not `server.bodyLimitBytes`.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { createHttpClient } from '../../providers/http-client.js';
import { createOpenAiAdapter } from '../../providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';
import { simulatedPng } from '../../providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../../providers/types.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfigInput } from '../../../test/helpers/test-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';

type Json = Record<string, unknown>;
const FILE_LIMIT = 64 * 1024;
const FORM_LIMIT = 256 * 1024;
const BODY_LIMIT = 32 * 1024;
const PNG = simulatedPng('source', 0);
const dataUrl = (bytes: Buffer, type = 'image/png') =>
  `data:${type};base64,${bytes.toString('base64')}`;
/** A PNG of exactly `bytes` bytes. */
const pngOf = (bytes: number) => Buffer.concat([PNG, Buffer.alloc(bytes - PNG.length)]);

const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
let upstream: Server;
let t: TestApp;
let base: string;
const http = createHttpClient();

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        created: 1_700_000_000,
        data: [{ b64_json: 'dXBzdHJlYW0=' }],
        usage: { input_tokens: 100, output_tokens: 1000, total_tokens: 1100 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const image = (name: string, extra = {}) =>
    simDeployment(name, {
      kind: 'images',
      model: `${name}-model`,
      maxOutputTokens: undefined,
      ...extra,
    });
  const input = testConfigInput();
  input.server = {
    ...input.server,
    bodyLimitBytes: BODY_LIMIT,
    imageFileLimitBytes: FILE_LIMIT,
    imageFormLimitBytes: FORM_LIMIT,
  };
  input.deployments.push(
    image('img', { prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.04 } }),
    image('up-img', {
      provider: 'openai',
      model: 'gpt-image-1.5',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
      simulation: undefined,
      prices: { inputPer1M: 5, outputPer1M: 40, perImage: 0 },
    }),
    image('az-img', {
      provider: 'azure',
      model: 'gpt-image-east',
      baseUrl: up,
      apiKeyEnv: 'AZ_KEY',
      apiVersion: '2025-04-01-preview',
      simulation: undefined,
    }),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    adapters[d.name] =
      d.provider === 'simulated'
        ? createSimulatedAdapter(d, { now: () => 1_700_000_000_000 })
        : createOpenAiAdapter(d, http, { UP_KEY: 'sk-up', AZ_KEY: 'az-key' });
  t = await buildTestApp(config, adapters, {
    authenticator: tenants,
    files: createMemoryBatchStore(),
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.app.close();
  await http.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

/** POSTs `body` (JSON-encoded unless a string) as team-a. */
async function edit(body: unknown, path = '/v1/images/edits') {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...as('team-a') },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json & { error?: Json; data?: Json[] } };
}

const lastSeen = () => ({ ...seen.at(-1)!, json: JSON.parse(seen.at(-1)!.body) as Json });

describe('JSON image edits, served', () => {
  it('the simulated model answers a JSON edit as it answers a form: n PNGs, deterministic', async () => {
    const body = {
      model: 'img',
      prompt: 'add a red hat',
      images: [{ image_url: dataUrl(PNG) }, { image_url: 'https://example.com/b.png' }],
      n: 2,
    };
    const a = await edit(body);
    expect(a.status).toBe(200);
    expect(a.body.data).toHaveLength(2);
    expect(Buffer.from(String(a.body.data![0]!.b64_json), 'base64').subarray(1, 4).toString()).toBe(
      'PNG',
    );
    expect((await edit(body)).body.data).toEqual(a.body.data);
    // Other images (or another mask): another result.
    const other = await edit({ ...body, images: [{ image_url: 'https://example.com/c.png' }] });
    expect(other.body.data![0]).not.toEqual(a.body.data![0]);
    expect(t.records.at(-1)).toMatchObject({
      endpoint: 'images.edits',
      deployment: 'img',
      status: 200,
      tenant: 'team-a',
    });
  });

  it('an OpenAI upstream gets the body as JSON, every field kept but model', async () => {
    const body = {
      model: 'up-img',
      prompt: 'Replace the background with a snowy mountain scene',
      images: [{ file_id: 'file-abc123' }, { image_url: dataUrl(PNG) }],
      mask: { file_id: 'file-mask123' },
      output_format: 'png',
      output_compression: 100,
      input_fidelity: 'high',
      quality: 'high',
      size: '1024x1024',
    };
    const out = await edit(body);
    expect(out.status).toBe(200);
    expect(out.body.data).toEqual([{ b64_json: 'dXBzdHJlYW0=' }]);
    const sent = lastSeen();
    expect(sent.url).toBe('/v1/images/edits');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.authorization).toBe('Bearer sk-up');
    // Foreign file ids (uploaded to OpenAI) pass as they are.
    expect(sent.json).toEqual({ ...body, model: 'gpt-image-1.5' });
    expect(t.records.at(-1)).toMatchObject({ endpoint: 'images.edits', deployment: 'up-img' });
    expect(t.records.at(-1)!.costUsd).toBeCloseTo((100 * 5 + 1000 * 40) / 1e6, 10);
  });

  it("Azure's dated deployment path takes a JSON edit too, forwarded as JSON", async () => {
    const out = await edit(
      { prompt: 'p', images: [{ image_url: 'https://example.com/a.png' }] },
      '/openai/deployments/az-img/images/edits?api-version=2025-04-01-preview',
    );
    expect(out.status).toBe(200);
    const sent = lastSeen();
    expect(sent.url).toBe(
      '/openai/deployments/gpt-image-east/images/edits?api-version=2025-04-01-preview',
    );
    expect(sent.headers['api-key']).toBe('az-key');
    expect(sent.json).toEqual({
      prompt: 'p',
      images: [{ image_url: 'https://example.com/a.png' }],
      model: 'gpt-image-east',
    });
  });

  it('a body in a declared charset (UTF-16) is decoded as declared, as every JSON body is', async () => {
    const body = {
      model: 'up-img',
      prompt: 'ein grüner Hut',
      images: [{ image_url: dataUrl(PNG) }],
    };
    const res = await fetch(`${base}/v1/images/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16', ...as('team-a') },
      body: Buffer.from(JSON.stringify(body), 'utf16le'),
    });
    expect(res.status).toBe(200);
    expect(lastSeen().json.prompt).toBe('ein grüner Hut');
  });

  it("a router file named by id goes upstream inline; another tenant's id as it is", async () => {
    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'team-a', maxRetries: 0 });
    const file = await client.files.create({
      file: await toFile(PNG, 'photo.png'),
      purpose: 'vision',
    });
    expect(
      (await edit({ model: 'up-img', prompt: 'p', images: [{ file_id: file.id }] })).status,
    ).toBe(200);
    expect(lastSeen().json.images).toEqual([{ image_url: dataUrl(PNG) }]);
    // team-b does not own it: the id is not the router's for them, and goes on unchanged.
    const asB = await fetch(`${base}/v1/images/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as('team-b') },
      body: JSON.stringify({ model: 'up-img', prompt: 'p', images: [{ file_id: file.id }] }),
    });
    expect(asB.status).toBe(200);
    expect(lastSeen().json.images).toEqual([{ file_id: file.id }]);
    // A router file that is no image is refused, naming it.
    const text = await client.files.create({
      file: await toFile(Buffer.from('just text'), 'notes.txt'),
      purpose: 'user_data',
    });
    expect(
      await edit({
        model: 'up-img',
        prompt: 'p',
        images: [{ image_url: dataUrl(PNG) }, { file_id: text.id }],
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_image_format', param: 'images[1].file_id' } },
    });
  });
});

describe('JSON image edits, refused', () => {
  const ok = { model: 'img', prompt: 'p', images: [{ image_url: dataUrl(PNG) }] };

  it('a malformed body is a 400 naming the field', async () => {
    const cases: [unknown, string | null, string?][] = [
      [[1, 2], null],
      [{ ...ok, images: undefined }, 'images', 'missing_required_parameter'],
      [{ ...ok, images: [] }, 'images', 'invalid_type'],
      [{ ...ok, images: { image_url: 'https://x.example' } }, 'images', 'invalid_type'],
      [{ ...ok, images: undefined, image: 'https://x.example' }, 'image', 'unknown_parameter'],
      [{ ...ok, images: Array.from({ length: 17 }, () => ok.images[0]) }, 'images'],
      [{ ...ok, images: ['https://x.example/a.png'] }, 'images[0]', 'invalid_type'],
      [{ ...ok, images: [ok.images[0], {}] }, 'images[1]'],
      [{ ...ok, images: [{ image_url: 'https://x.example', file_id: 'file-1' }] }, 'images[0]'],
      [{ ...ok, images: [{ url: 'https://x.example' }] }, 'images[0].url', 'unknown_parameter'],
      [{ ...ok, images: [{ image_url: 42 }] }, 'images[0].image_url', 'invalid_type'],
      [
        { ...ok, images: [{ image_url: 'ftp://x.example/a.png' }] },
        'images[0].image_url',
        'invalid_image_url',
      ],
      [
        { ...ok, images: [{ image_url: 'data:image/png,rawbytes' }] },
        'images[0].image_url',
        'invalid_image_url',
      ],
      [
        { ...ok, images: [{ image_url: dataUrl(Buffer.from('hi'), 'text/plain') }] },
        'images[0].image_url',
        'invalid_image_format',
      ],
      [{ ...ok, images: [{ file_id: '' }] }, 'images[0].file_id', 'invalid_type'],
      [
        { ...ok, mask: { image_url: dataUrl(PNG, 'image/jpeg') } },
        'mask.image_url',
        'invalid_image_format',
      ],
      [{ ...ok, mask: 'mask.png' }, 'mask', 'invalid_type'],
      [{ ...ok, prompt: undefined }, 'prompt', 'missing_required_parameter'],
      [{ ...ok, prompt: 7 }, 'prompt', 'invalid_type'],
      [{ ...ok, model: 7 }, 'model', 'invalid_type'],
      [{ ...ok, n: 11 }, 'n'],
      [{ ...ok, n: '2' }, 'n'],
      [{ ...ok, size: 'huge' }, 'size'],
      [{ ...ok, quality: 3 }, 'quality', 'invalid_type'],
      [{ ...ok, response_format: 'png' }, 'response_format'],
      [{ ...ok, stream: true }, 'stream'],
    ];
    for (const [body, param, code] of cases) {
      const out = await edit(body);
      expect({ body, status: out.status, param: out.body.error?.param }).toEqual({
        body,
        status: 400,
        param,
      });
      expect(out.body.error).toMatchObject({
        type: 'invalid_request_error',
        message: expect.any(String),
        ...(code ? { code } : {}),
      });
    }
    // Not JSON at all, or nothing.
    expect(await edit('{"prompt": "p", images: [')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', message: expect.stringContaining('not valid JSON') } },
    });
    expect(await edit('')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_body' } },
    });
    // Nested past any real body: a 400 as on every JSON route (input audit F4: a 500 from a
    // stack overflow in the field checks).
    const deep = `{"prompt": "p", "images": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(await edit(deep)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json', message: expect.stringContaining('256 levels') } },
    });
    // Variations take forms only.
    expect(await edit(ok, '/v1/images/variations')).toMatchObject({
      status: 400,
      body: { error: { param: 'image', message: expect.stringContaining('multipart/form-data') } },
    });
  });

  it('a data URL is read by its bytes: an image of the types taken passes, else a 400 naming it', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);
    const webp = Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1');
    const images = [
      { image_url: dataUrl(jpeg, 'image/jpeg') },
      { image_url: dataUrl(webp, 'image/webp') },
    ];
    expect((await edit({ ...ok, images })).status).toBe(200);
    const refused = (param: string, what: string, bytes: string) => ({
      status: 400,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'invalid_image_format',
          param,
          // What the bytes are, and the type the data URL declared, told apart (media audit F4).
          message: `${param} is not ${what}: its bytes are ${bytes}; it was sent as image/png, but an image's type is read from its bytes. Send ${what}.`,
        },
      },
    });
    const image = 'a PNG, JPEG or WebP image';
    // Each declares a type taken; its bytes say otherwise.
    const gif = dataUrl(Buffer.from('GIF89a\x01\0\x01\0', 'latin1'));
    expect(await edit({ ...ok, images: [ok.images[0], { image_url: gif }] })).toEqual(
      refused('images[1].image_url', image, 'a GIF image (image/gif)'),
    );
    const text = dataUrl(Buffer.from('not an image at all'));
    expect(await edit({ ...ok, images: [{ image_url: text }] })).toEqual(
      refused('images[0].image_url', image, 'text, not an image'),
    );
    expect(await edit({ ...ok, images: [{ image_url: 'data:image/png;base64,' }] })).toEqual(
      refused('images[0].image_url', image, 'empty'),
    );
    expect(await edit({ ...ok, mask: { image_url: dataUrl(jpeg) } })).toEqual(
      refused('mask.image_url', 'a PNG image', 'a JPEG image (image/jpeg)'),
    );
  });

  it('sizes: an image past imageFileLimitBytes and a body past imageFormLimitBytes are 413s; bodyLimitBytes does not apply', async () => {
    // Past server.bodyLimitBytes (32 KB), within the image limits: served.
    const within = await edit({ ...ok, images: [{ image_url: dataUrl(pngOf(FILE_LIMIT)) }] });
    expect(within.status).toBe(200);
    const over = await edit({ ...ok, images: [{ image_url: dataUrl(pngOf(FILE_LIMIT + 1)) }] });
    expect(over).toEqual({
      status: 413,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'file_too_large',
          param: 'images[0].image_url',
          message:
            'The image in "images[0].image_url" is larger than 64 KB (65536 bytes), the most one image or mask may be (server.imageFileLimitBytes); send a smaller one.',
        },
      },
    });
    const images = Array.from({ length: 4 }, () => ({ image_url: dataUrl(pngOf(FILE_LIMIT)) }));
    expect(await edit({ ...ok, images })).toEqual({
      status: 413,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'file_too_large',
          param: null,
          message:
            'The JSON body is larger than 256 KB (262144 bytes), the most one image edit or variation may be (server.imageFormLimitBytes); send fewer or smaller images.',
        },
      },
    });
    // Sent chunked, with no Content-Length: refused once what was read passes the limit.
    const bytes = new TextEncoder().encode(JSON.stringify({ ...ok, images }));
    const chunked = await fetch(`${base}/v1/images/edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as('team-a') },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 16 * 1024)
            controller.enqueue(bytes.subarray(at, at + 16 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.headers.get('connection')).toBe('close');
    expect(((await chunked.json()) as { error: Json }).error.message).toContain(
      'server.imageFormLimitBytes',
    );
    // Other JSON routes keep server.bodyLimitBytes.
    const chat = await fetch(`${base}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as('team-a') },
      body: JSON.stringify({ model: 'img', prompt: 'x'.repeat(BODY_LIMIT) }),
    });
    expect(chat.status).toBe(413);
    expect(((await chat.json()) as { error: Json }).error.message).toContain('bodyLimitBytes');
  });
});
