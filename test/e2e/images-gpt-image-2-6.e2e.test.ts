// openai 7.60's image surface for GPT Image 2.5 and 2.6 (openai-node `ImageGenerateParams`,
// `ImageEditParams`), sent by the official `openai` SDK (OpenAI and AzureOpenAI classes) to the
// app on a loopback port, with OpenAI- and Azure-shaped loopback upstreams that record what they
// got: `xhigh` and `max` quality, a free size, GIF output and its frames, `complexity`, an edit's
// `markup` overlay reach the upstream as sent; values OpenAI refuses are still 400s naming the
// field, before any upstream call.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createHttpClient } from '../../src/providers/http-client.js';
import { createOpenAiAdapter } from '../../src/providers/openai/openai-adapter.js';
import { simulatedPng } from '../../src/providers/simulated/simulated-media.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { buildTestApp, type TestApp } from '../helpers/build-test-app.js';
import { simDeployment, testConfigInput } from '../helpers/test-config.js';

type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;
const seen: { url: string; body: Buffer }[] = [];
let upstream: Server;
let t: TestApp;
let base: string;
let client: OpenAI;
const http = createHttpClient();

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        created: 1_700_000_000,
        data: [{ b64_json: Buffer.from('gif-bytes').toString('base64') }],
        output_format: 'gif',
        usage: { input_tokens: 20, output_tokens: 100, total_tokens: 120 },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const up = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const image = (name: string, extra: Record<string, unknown>) =>
    simDeployment(name, {
      kind: 'images',
      maxOutputTokens: undefined,
      simulation: undefined,
      prices: { inputPer1M: 5, outputPer1M: 40, perImage: 0.01 },
      ...extra,
    });
  const input = testConfigInput();
  input.deployments.push(
    image('flare', {
      provider: 'openai',
      model: 'gpt-image-2.6-flare',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
    }),
    image('sunburst', {
      provider: 'openai',
      model: 'gpt-image-2.5-sunburst',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
    }),
    image('two', {
      provider: 'openai',
      model: 'gpt-image-2',
      baseUrl: `${up}/v1`,
      apiKeyEnv: 'UP_KEY',
    }),
    image('az-flare', {
      provider: 'azure',
      model: 'gpt-image-2.6-flare',
      baseUrl: up,
      apiKeyEnv: 'AZ_KEY',
      apiVersion: '2025-04-01-preview',
    }),
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {};
  for (const d of config.deployments)
    if (d.provider !== 'simulated')
      adapters[d.name] = createOpenAiAdapter(d, http, { UP_KEY: 'sk-up', AZ_KEY: 'az-key' });
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

/** The new options a GPT Image 2.6 generation may carry (openai-node 7.60). */
const GIF: Omit<OpenAI.Images.ImageGenerateParamsNonStreaming, 'model'> = {
  prompt: 'a cat waving',
  quality: 'max',
  size: '1536x864',
  output_format: 'gif',
  frame_count: 8,
  frame_duration_ms: 120,
  complexity: 'high',
  background: 'opaque',
};

describe('GPT Image 2.6 generations', () => {
  it('OpenAI: max quality, a free size, GIF output and complexity reach the upstream as sent', async () => {
    const out = await client.images.generate({ ...GIF, model: 'flare' });
    expect(out.data?.[0]?.b64_json).toBe(Buffer.from('gif-bytes').toString('base64'));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/v1/images/generations');
    expect(JSON.parse(seen[0]!.body.toString())).toEqual({ ...GIF, model: 'gpt-image-2.6-flare' });
    // xhigh on gpt-image-2.5 too.
    await client.images.generate({ prompt: 'a cat', model: 'sunburst', quality: 'xhigh' });
    expect(JSON.parse(seen[1]!.body.toString())).toMatchObject({ quality: 'xhigh' });
  });

  it('Azure: the same request on the deployment path', async () => {
    const azure = new AzureOpenAI({
      endpoint: base,
      apiKey: 'k',
      apiVersion: '2025-04-01-preview',
      deployment: 'az-flare',
      maxRetries: 0,
    });
    await azure.images.generate({ ...GIF, model: 'az-flare' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toMatch(
      /^\/openai\/deployments\/gpt-image-2\.6-flare\/images\/generations\?/,
    );
    expect(JSON.parse(seen[0]!.body.toString())).toMatchObject(GIF);
  });

  it.each([
    ['quality', { model: 'flare', quality: 'ultra' }],
    ['quality', { model: 'two', quality: 'max' }],
    ['size', { model: 'flare', size: '1000x1000' }],
  ])(
    'a %s the model does not take is a 400 naming it, with no upstream call',
    async (param, extra) => {
      const e = await caught(
        client.images.generate({
          prompt: 'a cat',
          ...(extra as Partial<OpenAI.Images.ImageGenerateParamsNonStreaming>),
        }),
      );
      expect((e as BadRequest).status).toBe(400);
      expect((e as BadRequest).param).toBe(param);
      expect(seen).toEqual([]);
    },
  );
});

describe('GPT Image 2.6 edits', () => {
  const photo = simulatedPng('a photo', 0);
  const overlay = simulatedPng('an overlay', 1);

  it('a markup overlay and max quality reach the upstream as sent', async () => {
    await client.images.edit({
      model: 'flare',
      image: await toFile(photo, 'photo.png', { type: 'image/png' }),
      markup: await toFile(overlay, 'overlay.png', { type: 'image/png' }),
      prompt: 'a hat where drawn',
      quality: 'max',
      complexity: 'medium',
    });
    expect(seen).toHaveLength(1);
    const form = seen[0]!.body;
    expect(form.includes(overlay)).toBe(true);
    expect(form.toString('latin1')).toMatch(/name="markup"; filename="overlay.png"/);
    expect(form.toString('latin1')).toMatch(/name="quality"\r\n\r\nmax\r\n/);
    expect(form.toString('latin1')).toMatch(/name="complexity"\r\n\r\nmedium\r\n/);
  });

  it('markup with a mask, or not a PNG, is a 400 naming markup', async () => {
    const withMask = await caught(
      client.images.edit({
        model: 'flare',
        image: await toFile(photo, 'photo.png', { type: 'image/png' }),
        mask: await toFile(overlay, 'mask.png', { type: 'image/png' }),
        markup: await toFile(overlay, 'overlay.png', { type: 'image/png' }),
        prompt: 'a hat',
      }),
    );
    expect((withMask as BadRequest).status).toBe(400);
    expect((withMask as BadRequest).param).toBe('markup');
    expect((withMask as BadRequest).message).toMatch(/cannot be combined with mask/);
    const notPng = await caught(
      client.images.edit({
        model: 'flare',
        image: await toFile(photo, 'photo.png', { type: 'image/png' }),
        markup: await toFile(Buffer.from('not an image'), 'overlay.png', { type: 'image/png' }),
        prompt: 'a hat',
      }),
    );
    expect((notPng as BadRequest).param).toBe('markup');
    expect((notPng as BadRequest).code).toBe('invalid_image_format');
    expect(seen).toEqual([]);
  });
});
