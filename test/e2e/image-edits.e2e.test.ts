// `/v1/images/edits` and `/v1/images/variations` with the official `openai` SDK (OpenAI and
// AzureOpenAI classes) against the app on a loopback port: the simulated image model (no keys);
// OpenAI-, OpenAI-compatible- and Azure-shaped loopback upstreams through the real adapter (the
// multipart form as it reached them, every file byte for byte, `model` renamed); Azure's missing
// variations; the request log's records and costs; malformed forms in OpenAI's error shape.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { ANONYMOUS } from '../../src/gateway/gateway-types.js';
import { IMAGE_FORM_LIMIT_BYTES } from '../../src/config/server-schema.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import { simulatedPng } from '../../src/providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
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
let solo: TestApp;
let base: string;
let soloBase: string;
let client: OpenAI;
const http = createHttpClient();

const UPSTREAM_B64 = Buffer.from('upstream-image-bytes').toString('base64');

/**
 * A "PNG" whose bytes would break a careless form encoder: the PNG signature, then CR/LF, a
 * boundary-like line, NULs and every byte value, deterministic per `seed`.
 */
function trickyPng(seed: number, length = 4000): Buffer {
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i++) body[i] = (i * 31 + seed * 17) % 256;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from(
      '\r\n------model-router-0000\r\nContent-Disposition: form-data; name="model"\r\n\r\n',
    ),
    body,
  ]);
}
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    if (/\/images\/(edits|variations)/.test(req.url ?? '')) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining-requests': '9',
      });
      return res.end(
        JSON.stringify({
          created: 1_700_000_000,
          data: [{ b64_json: UPSTREAM_B64 }],
          usage: { input_tokens: 200, output_tokens: 1000, total_tokens: 1200 },
        }),
      );
    }
    res.writeHead(404);
    res.end();
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
  input.deployments.push(
    image('img', {
      prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.04, perImageBy: { '512x512': 0.018 } },
    }),
    image('up-img', {
      provider: 'openai',
      model: 'gpt-image-1',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
      simulation: undefined,
      prices: { inputPer1M: 5, outputPer1M: 40, perImage: 0.01 },
    }),
    image('compat-img', {
      provider: 'openai-compatible',
      model: 'dall-e-2',
      baseUrl: `${up}/compat/v1`,
      simulation: undefined,
      prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.02 },
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
  const adapterFor = (c: typeof config) => {
    const adapters: Record<string, ProviderAdapter> = {};
    for (const d of c.deployments)
      adapters[d.name] =
        d.provider === 'simulated'
          ? createSimulatedAdapter(d, { now: () => 1_700_000_000_000 })
          : createOpenAiAdapter(d, http, { UP_KEY: 'sk-up', AZ_KEY: 'az-key' });
    return adapters;
  };
  t = await buildTestApp(config, adapterFor(config), {
    authenticator: {
      authenticate: (headers) =>
        headers.authorization === 'Bearer chat-only'
          ? { tenant: 'team-c', admin: false, scopes: ['model-router'] }
          : ANONYMOUS,
    },
  });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0 });
  // A router with one image model, as the default config has: requests naming none go to it.
  const soloInput = testConfigInput();
  soloInput.deployments.push(
    image('only-img', { prices: { inputPer1M: 0, outputPer1M: 0, perImage: 0.03 } }),
  );
  const soloConfig = parseConfig(soloInput, {}).config;
  solo = await buildTestApp(soloConfig, adapterFor(soloConfig));
  soloBase = await solo.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.app.close();
  await solo?.app.close();
  await http.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

const lastRecord = (app = t) => app.records[app.records.length - 1]!;

/** A 64×64 PNG's width, from its IHDR. */
function pngWidth(b64: string): number {
  const png = Buffer.from(b64, 'base64');
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  return png.readUInt32BE(16);
}

/** The multipart form a loopback upstream received, read by undici's own parser. */
async function formOf(s: Seen): Promise<FormData> {
  const type = String(s.headers['content-type']);
  expect(type).toMatch(/^multipart\/form-data; boundary=/);
  return new Response(s.body, { headers: { 'content-type': type } }).formData();
}

const bytesOf = async (f: File | string | null) => Buffer.from(await (f as File).arrayBuffer());

describe('the simulated image model (no keys)', () => {
  it('edit with the SDK and no model: the one image model serves, a PNG per image, deterministic', async () => {
    const sdk = new OpenAI({ baseURL: `${soloBase}/v1`, apiKey: 'k', maxRetries: 0 });
    const source = simulatedPng('a source photo', 0);
    const a = await sdk.images.edit({
      image: await toFile(source, 'photo.png', { type: 'image/png' }),
      prompt: 'add a red hat',
      n: 2,
    });
    expect(a.data).toHaveLength(2);
    expect(pngWidth(a.data![0]!.b64_json!)).toBe(64);
    expect(a.data![0]!.b64_json).not.toBe(a.data![1]!.b64_json);
    expect(lastRecord(solo)).toMatchObject({
      endpoint: 'images.edits',
      deployment: 'only-img',
      status: 200,
    });
    expect(lastRecord(solo).costUsd).toBeCloseTo(0.06, 10);
    const again = await sdk.images.edit({
      image: await toFile(source, 'photo.png'),
      prompt: 'add a red hat',
      n: 2,
    });
    expect(again.data![0]!.b64_json).toBe(a.data![0]!.b64_json);
    // Another source image (same prompt), or another prompt: another result.
    const other = await sdk.images.edit({
      image: await toFile(simulatedPng('another photo', 0), 'photo.png'),
      prompt: 'add a red hat',
    });
    expect(other.data![0]!.b64_json).not.toBe(a.data![0]!.b64_json);
    const otherPrompt = await sdk.images.edit({
      image: await toFile(source, 'photo.png'),
      prompt: 'add a blue hat',
    });
    expect(otherPrompt.data![0]!.b64_json).not.toBe(a.data![0]!.b64_json);
  });

  it('variation with the SDK: PNGs from the image, as data URLs with response_format url', async () => {
    const source = simulatedPng('a cat', 0);
    const r = await client.images.createVariation({
      image: await toFile(source, 'cat.png'),
      model: 'img',
      n: 3,
      size: '512x512',
      response_format: 'url',
    });
    expect(r.data).toHaveLength(3);
    const url = r.data![0]!.url!;
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    expect(pngWidth(url.slice('data:image/png;base64,'.length))).toBe(64);
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.variations',
      deployment: 'img',
      status: 200,
    });
    // Three images at the 512x512 price.
    expect(lastRecord().costUsd).toBeCloseTo(0.054, 10);
    const other = await client.images.createVariation({
      image: await toFile(simulatedPng('a dog', 0), 'cat.png'),
      model: 'img',
    });
    expect(other.data![0]!.b64_json).toBeDefined();
    expect(`data:image/png;base64,${other.data![0]!.b64_json}`).not.toBe(url);
  });

  it('served on /openai/v1 and at the root as well', async () => {
    for (const path of ['/openai/v1/images/edits', '/images/edits']) {
      const form = new FormData();
      form.set('model', 'img');
      form.set('prompt', 'p');
      form.set('image', new Blob([simulatedPng('x', 0)], { type: 'image/png' }), 'x.png');
      const res = await fetch(`${base}${path}`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    }
  });
});

describe('forwarded to a real upstream intact', () => {
  it('an OpenAI upstream: several images and a mask byte for byte, fields kept, model renamed, costed', async () => {
    seen.length = 0;
    const images = [trickyPng(1), trickyPng(2, 9000), JPEG];
    const mask = trickyPng(3, 500);
    const { data, response } = await client.images
      .edit({
        model: 'up-img',
        image: [
          await toFile(images[0]!, 'one.png', { type: 'image/png' }),
          await toFile(images[1]!, 'two.png', { type: 'image/png' }),
          await toFile(images[2]!, 'three.jpg', { type: 'image/jpeg' }),
        ],
        mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
        prompt: 'merge these',
        size: '1024x1024',
        quality: 'low',
        input_fidelity: 'high',
        user: 'end-user-7',
      })
      .withResponse();
    expect(data.data![0]!.b64_json).toBe(UPSTREAM_B64);
    expect(response.headers.get('x-router-deployment')).toBe('up-img');
    expect(response.headers.get('x-upstream-x-ratelimit-remaining-requests')).toBe('9');
    expect(seen).toHaveLength(1);
    const got = seen[0]!;
    expect(got.url).toBe('/v1/images/edits');
    expect(got.headers.authorization).toBe('Bearer sk-up');
    const form = await formOf(got);
    expect(form.getAll('model')).toEqual(['gpt-image-1']);
    expect(form.get('prompt')).toBe('merge these');
    expect(form.get('size')).toBe('1024x1024');
    expect(form.get('quality')).toBe('low');
    expect(form.get('input_fidelity')).toBe('high');
    expect(form.get('user')).toBe('end-user-7');
    const sent = form.getAll('image[]') as File[];
    expect(sent.map((f) => f.name)).toEqual(['one.png', 'two.png', 'three.jpg']);
    expect(sent.map((f) => f.type)).toEqual(['image/png', 'image/png', 'image/jpeg']);
    for (let i = 0; i < images.length; i++)
      expect((await bytesOf(sent[i]!)).equals(images[i]!)).toBe(true);
    expect((await bytesOf(form.get('mask'))).equals(mask)).toBe(true);
    // The raw body holds each file's bytes whole, not re-encoded.
    for (const b of [...images, mask]) expect(got.body.indexOf(b)).toBeGreaterThan(0);
    // 200 input tokens at $5/1M + 1000 output tokens at $40/1M.
    expect(lastRecord()).toMatchObject({
      endpoint: 'images.edits',
      deployment: 'up-img',
      status: 200,
      promptTokens: 200,
      completionTokens: 1000,
      endUser: 'end-user-7',
    });
    // The output tokens bill the image: its $0.01 per image is not added (media-cost.ts).
    expect(lastRecord().costUsd).toBeCloseTo(0.001 + 0.04, 10);
  });

  it('an OpenAI-compatible upstream: a variation, its image intact and model renamed', async () => {
    seen.length = 0;
    const source = trickyPng(9, 20_000);
    const r = await client.images.createVariation({
      model: 'compat-img',
      image: await toFile(source, 'base.png', { type: 'image/png' }),
      n: 2,
      size: '256x256',
    });
    expect(r.data![0]!.b64_json).toBe(UPSTREAM_B64);
    expect(seen[0]!.url).toBe('/compat/v1/images/variations');
    expect(seen[0]!.headers.authorization).toBeUndefined();
    const form = await formOf(seen[0]!);
    expect(form.get('model')).toBe('dall-e-2');
    expect(form.get('n')).toBe('2');
    expect(form.get('size')).toBe('256x256');
    expect((await bytesOf(form.get('image'))).equals(source)).toBe(true);
    expect(lastRecord()).toMatchObject({ endpoint: 'images.variations', deployment: 'compat-img' });
    expect(lastRecord().costUsd).toBeCloseTo(0.02 + 0, 10);
  });

  it('a file sent without a type goes upstream with the type its bytes show', async () => {
    seen.length = 0;
    const form = new FormData();
    form.set('model', 'up-img');
    form.set('prompt', 'p');
    form.set('image', new Blob([JPEG]), 'photo');
    const res = await fetch(`${base}/v1/images/edits`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const file = (await formOf(seen[0]!)).get('image') as File;
    expect(file.type).toBe('image/jpeg');
    expect((await bytesOf(file)).equals(JPEG)).toBe(true);
  });

  it('Azure: the AzureOpenAI client edits on the dated deployment path with api-key; variations are refused', async () => {
    seen.length = 0;
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'k',
      apiVersion: '2025-04-01-preview',
      deployment: 'az-img',
      maxRetries: 0,
    });
    const source = trickyPng(4);
    const r = await azure.images.edit({
      model: 'az-img',
      image: await toFile(source, 'in.png', { type: 'image/png' }),
      prompt: 'make it night',
    });
    expect(r.data![0]!.b64_json).toBe(UPSTREAM_B64);
    expect(seen[0]!.url).toBe(
      '/openai/deployments/gpt-image-east/images/edits?api-version=2025-04-01-preview',
    );
    expect(seen[0]!.headers['api-key']).toBe('az-key');
    const form = await formOf(seen[0]!);
    expect(form.get('model')).toBe('gpt-image-east');
    expect((await bytesOf(form.get('image'))).equals(source)).toBe(true);
    expect(lastRecord()).toMatchObject({ endpoint: 'images.edits', deployment: 'az-img' });

    // Azure OpenAI has no variations: the client's path and the dated one get Azure's code.
    const refused = await azure.images
      .createVariation({ model: 'az-img', image: await toFile(source, 'in.png') })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'OperationNotSupported' });
    const form2 = new FormData();
    form2.set('image', new Blob([source], { type: 'image/png' }), 'in.png');
    const dated = await fetch(
      `${base}/openai/deployments/az-img/images/variations?api-version=2025-04-01-preview`,
      { method: 'POST', body: form2 },
    );
    expect(dated.status).toBe(400);
    const body = (await dated.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: 'OperationNotSupported', param: null });
    expect(String(body.error.message)).toContain('images/edits');
    // Named on the OpenAI path, the Azure deployment has no variations either; nothing was sent.
    await expect(
      client.images.createVariation({ model: 'az-img', image: await toFile(source, 'in.png') }),
    ).rejects.toMatchObject({ status: 400, param: 'model' });
    expect(seen).toHaveLength(1);
  });
});

describe('malformed requests in OpenAI’s error shape', () => {
  /** POSTs a form built by `fill` and returns the status and the error. */
  async function post(
    fill: (f: FormData) => void,
    path = '/v1/images/edits',
  ): Promise<{ status: number; error: Record<string, unknown> }> {
    const form = new FormData();
    fill(form);
    const res = await fetch(`${base}${path}`, { method: 'POST', body: form });
    const json = (await res.json()) as { error: Record<string, unknown> };
    expect(json.error.type).toBe('invalid_request_error');
    expect(typeof json.error.message).toBe('string');
    return { status: res.status, error: json.error };
  }
  const png = () => new Blob([simulatedPng('x', 0)], { type: 'image/png' });
  const valid = (f: FormData) => {
    f.set('model', 'img');
    f.set('prompt', 'p');
    f.set('image', png(), 'x.png');
  };

  it('a missing image, a missing prompt, an unexpected file field', async () => {
    expect(
      await post((f) => {
        f.set('model', 'img');
        f.set('prompt', 'p');
      }),
    ).toMatchObject({ status: 400, error: { param: 'image' } });
    expect(
      await post((f) => {
        f.set('model', 'img');
        f.set('image', png(), 'x.png');
      }),
    ).toMatchObject({ status: 400, error: { param: 'prompt' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('picture', png(), 'y.png');
      }),
    ).toMatchObject({ status: 400, error: { param: 'picture' } });
    expect(
      await post((f) => {
        f.set('model', 'img');
        f.set('image', png(), 'x.png');
        f.append('image', png(), 'y.png');
      }, '/v1/images/variations'),
    ).toMatchObject({ status: 400, error: { param: 'image' } });
    expect(
      await post((f) => {
        valid(f);
        for (let i = 0; i < 16; i++) f.append('image[]', png(), `${i}.png`);
      }),
    ).toMatchObject({ status: 400, error: { param: 'image' } });
    // A variation takes a form only (JSON edits: src/http/routes/image-edit-json.test.ts).
    const json = await fetch(`${base}/v1/images/variations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'img', images: [{ image_url: 'https://x' }] }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: unknown }).error).toMatchObject({ param: 'image' });
  });

  it('a file that is no image, or not PNG where PNG is required', async () => {
    expect(
      await post((f) => {
        valid(f);
        f.set('image', new Blob(['just some text']), 'notes.png');
      }),
    ).toMatchObject({ status: 400, error: { param: 'image', code: 'invalid_image_format' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('image', new Blob([]), 'empty.png');
      }),
    ).toMatchObject({ status: 400, error: { param: 'image' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('mask', new Blob([JPEG], { type: 'image/jpeg' }), 'mask.jpg');
      }),
    ).toMatchObject({ status: 400, error: { param: 'mask', code: 'invalid_image_format' } });
    const second = await post((f) => {
      valid(f);
      f.delete('image');
      f.append('image[]', png(), 'a.png');
      f.append('image[]', new Blob(['%PDF-1.7']), 'b.png');
    });
    expect(second).toMatchObject({ status: 400, error: { param: 'image[1]' } });
    expect(String(second.error.message)).toContain('application/pdf');
    expect(
      await post((f) => {
        f.set('model', 'img');
        f.set('image', new Blob([JPEG], { type: 'image/jpeg' }), 'x.jpg');
      }, '/v1/images/variations'),
    ).toMatchObject({ status: 400, error: { param: 'image', code: 'invalid_image_format' } });
  });

  it('bad n, size, response_format, stream', async () => {
    for (const n of ['0', '11', '2.5', 'two'])
      expect(
        await post((f) => {
          valid(f);
          f.set('n', n);
        }),
      ).toMatchObject({ status: 400, error: { param: 'n' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('size', 'huge');
      }),
    ).toMatchObject({ status: 400, error: { param: 'size' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('response_format', 'png');
      }),
    ).toMatchObject({ status: 400, error: { param: 'response_format' } });
    expect(
      await post((f) => {
        valid(f);
        f.set('stream', 'true');
      }),
    ).toMatchObject({ status: 400, error: { param: 'stream' } });
    await expect(
      client.images.createVariation({
        model: 'img',
        image: await toFile(simulatedPng('x', 0), 'x.png'),
        n: 12,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'n' });
  });

  it('too large: a form past the default limit is 413 naming it, and the server carries on', async () => {
    // Past server.imageFormLimitBytes (64 MB): refused from its length, before it is read (the
    // limits, set small, are tested in src/http/routes/image-form-limits.test.ts).
    const header = simulatedPng('x', 0);
    const big = new Blob([header, new Uint8Array(IMAGE_FORM_LIMIT_BYTES)], { type: 'image/png' });
    const over = await post((f) => {
      valid(f);
      f.set('image', big, 'huge.png');
    });
    expect(over).toMatchObject({ status: 413, error: { code: 'file_too_large' } });
    expect(String(over.error.message)).toContain('server.imageFormLimitBytes');
    const after = new FormData();
    valid(after);
    expect((await fetch(`${base}/v1/images/edits`, { method: 'POST', body: after })).status).toBe(
      200,
    );
  });

  it('a model of another kind, an unknown model, several image models and none named', async () => {
    const png1 = await toFile(simulatedPng('x', 0), 'x.png');
    await expect(
      client.images.edit({ model: 'big', image: png1, prompt: 'p' }),
    ).rejects.toMatchObject({ status: 400, code: 'model_not_images', param: 'model' });
    await expect(
      client.images.edit({ model: 'nope', image: png1, prompt: 'p' }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const none = await client.images.edit({ image: png1, prompt: 'p' }).catch((e: unknown) => e);
    expect(none).toMatchObject({ status: 400, param: 'model' });
    expect((none as Error).message).toContain('img, up-img, compat-img, az-img');
  });

  it('a key scoped to a router may not use an image model: 403, logged', async () => {
    const chatOnly = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'chat-only', maxRetries: 0 });
    const refused = await chatOnly.images
      .edit({ model: 'img', image: await toFile(simulatedPng('x', 0), 'x.png'), prompt: 'p' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(lastRecord()).toMatchObject({ endpoint: 'images.edits', status: 403, tenant: 'team-c' });
  });
});
