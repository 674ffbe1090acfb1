// The size limits of image edit and variation forms, `server.imageFileLimitBytes` and
// `server.imageFormLimitBytes`, set small here, through the app on a loopback port: a file of
// exactly the limit passes and one byte more is refused; a form over its limit is refused from
// its Content-Length before it is read, and also when it comes chunked with no length; each 413 is
// OpenAI's error shape naming the limit and the setting; a config reload moves the limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { createSimulatedAdapter } from '../../providers/simulated/simulated-adapter.js';
import { simulatedPng } from '../../providers/simulated/simulated-media.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { simDeployment, testConfigInput } from '../../../test/helpers/test-config.js';

const FILE_LIMIT = 64 * 1024;
const FORM_LIMIT = 100 * 1024;
let t: TestApp;
let base: string;

beforeAll(async () => {
  const input = testConfigInput();
  input.server = {
    ...input.server,
    imageFileLimitBytes: FILE_LIMIT,
    imageFormLimitBytes: FORM_LIMIT,
  };
  input.deployments.push(
    simDeployment('img', { kind: 'images', model: 'img-model', maxOutputTokens: undefined }),
  );
  const config = parseConfig(input, {}).config;
  const adapters = Object.fromEntries(
    config.deployments.map((d) => [d.name, createSimulatedAdapter(d, { now: () => 0 })]),
  );
  t = await buildTestApp(config, adapters);
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(() => t?.app.close());

/** A PNG of exactly `bytes` bytes (a real PNG's start, then zeros). */
function pngOf(bytes: number): Blob {
  const header = simulatedPng('x', 0);
  return new Blob([Buffer.concat([header, Buffer.alloc(bytes - header.length)])], {
    type: 'image/png',
  });
}

/** An edit form with these images (field `image[]`). */
function editForm(...images: Blob[]): FormData {
  const f = new FormData();
  f.set('model', 'img');
  f.set('prompt', 'add a hat');
  images.forEach((b, i) => f.append('image[]', b, `${i}.png`));
  return f;
}

type Reply = { status: number; body: { error?: Record<string, unknown>; data?: unknown[] } };

/** Posts the form; `chunked`: as a stream in 16 KB pieces, with no Content-Length. */
async function post(form: FormData, chunked = false, path = '/v1/images/edits'): Promise<Reply> {
  const encoded = new Request('http://x/', { method: 'POST', body: form });
  const type = encoded.headers.get('content-type')!;
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const body = chunked
    ? new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 16 * 1024)
            controller.enqueue(bytes.subarray(at, at + 16 * 1024));
          controller.close();
        },
      })
    : bytes;
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
    ...(chunked ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

describe('image form size limits', () => {
  it('a file of exactly server.imageFileLimitBytes passes; one byte more is 413 naming it', async () => {
    const fits = await post(editForm(pngOf(FILE_LIMIT)));
    expect(fits.status).toBe(200);
    expect(fits.body.data).toHaveLength(1);

    const over = await post(editForm(pngOf(FILE_LIMIT + 1)));
    expect(over).toEqual({
      status: 413,
      body: {
        error: {
          type: 'invalid_request_error',
          code: 'file_too_large',
          param: 'image[]',
          message:
            'The image in "image[]" is larger than 64 KB (65536 bytes), the most one image or mask may be (server.imageFileLimitBytes); send a smaller one.',
        },
      },
    });
    // A variation's one image, the same.
    const variation = new FormData();
    variation.set('model', 'img');
    variation.set('image', pngOf(FILE_LIMIT + 1), 'v.png');
    expect(await post(variation, false, '/v1/images/variations')).toMatchObject({
      status: 413,
      body: { error: { param: 'image', message: expect.stringContaining('imageFileLimitBytes') } },
    });
  });

  it('a form past server.imageFormLimitBytes is 413 naming it, with or without a Content-Length', async () => {
    // Each file within its limit; together past the form's.
    const form = () => editForm(pngOf(FILE_LIMIT - 1), pngOf(FILE_LIMIT - 1));
    const formError = {
      type: 'invalid_request_error',
      code: 'file_too_large',
      message:
        'The multipart form is larger than 100 KB (102400 bytes), the most one image edit or variation may be (server.imageFormLimitBytes); send fewer or smaller images.',
    };
    // Refused from its length, before any part is read.
    expect(await post(form())).toEqual({
      status: 413,
      body: { error: { ...formError, param: null } },
    });
    // Chunked, no length: refused as what was read passes the limit (in the second file).
    expect(await post(form(), true)).toEqual({
      status: 413,
      body: { error: { ...formError, param: 'image[]' } },
    });
    // One file of the two, chunked: within both limits.
    expect((await post(editForm(pngOf(FILE_LIMIT - 1)), true)).status).toBe(200);
  });

  it('reads the limits per request: a config change applies to the next form', async () => {
    const config = t.config.current.config;
    t.config.apply({
      ...config,
      server: {
        ...config.server,
        imageFileLimitBytes: 2 * FILE_LIMIT,
        imageFormLimitBytes: 4 * FORM_LIMIT,
      },
    });
    try {
      expect((await post(editForm(pngOf(FILE_LIMIT + 1)))).status).toBe(200);
    } finally {
      t.config.apply(config);
    }
    expect((await post(editForm(pngOf(FILE_LIMIT + 1)))).status).toBe(413);
  });
});
