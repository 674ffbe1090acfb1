// Fields of the wrong type, as a malformed-input audit sent them: a `stream` that is no boolean
// (JSON) or neither "true" nor "false" (a form) passed on to the image and audio routes unread; a
// prompt or query that is a number was called missing; an image edit's JSON that is no UTF-8 was
// read with U+FFFD in place of its bytes. Each is now a 400 naming the field and what to send;
// `stream: false` still passes and `stream: true` still gets its "not served" 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedPng, wavHeader } from '../../providers/simulated/simulated-media.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { mediaTestApp } from '../../../test/helpers/media-test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await mediaTestApp({ rerank: true });
});

afterAll(() => t?.app.close());

type Reply = { status: number; error?: Record<string, unknown> };

async function postJson(url: string, payload: string | object): Promise<Reply> {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  return {
    status: res.statusCode,
    error: (res.json() as { error?: Record<string, unknown> }).error,
  };
}

const BOUNDARY = 'wrong-field-types';
type Part = [name: string, value: string | { filename: string; type: string; data: Buffer }];

async function postForm(url: string, parts: Part[]): Promise<Reply> {
  const body = Buffer.concat([
    ...parts.flatMap(([name, v]) =>
      typeof v === 'string'
        ? [
            Buffer.from(
              `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`,
            ),
          ]
        : [
            Buffer.from(
              `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Type: ${v.type}\r\n\r\n`,
            ),
            v.data,
            Buffer.from('\r\n'),
          ],
    ),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    payload: body,
  });
  return {
    status: res.statusCode,
    error: (res.json() as { error?: Record<string, unknown> }).error,
  };
}

const png = { filename: 'x.png', type: 'image/png', data: simulatedPng('x', 0) };
const wav = {
  filename: 'a.wav',
  type: 'audio/wav',
  data: Buffer.concat([wavHeader(1600), Buffer.alloc(1600)]),
};
const editParts = (stream?: string): Part[] => [
  ['model', 'img'],
  ['prompt', 'a cat'],
  ['image', png],
  ...(stream === undefined ? [] : [['stream', stream] as Part]),
];
const transcriptionParts = (stream?: string): Part[] => [
  ['model', 'stt'],
  ['file', wav],
  ...(stream === undefined ? [] : [['stream', stream] as Part]),
];
const editJson = {
  model: 'img',
  prompt: 'a cat',
  images: [{ image_url: 'https://example.com/a.png' }],
};

describe('a stream that is not a boolean', () => {
  it('is a 400 naming stream on image generations and JSON image edits; false passes, true is not served', async () => {
    const routes: [string, object][] = [
      ['/v1/images/generations', { model: 'img', prompt: 'a cat' }],
      ['/v1/images/edits', editJson],
    ];
    for (const [url, body] of routes) {
      for (const stream of ['x', 1, 'true', {}])
        expect(
          await postJson(url, { ...body, stream }),
          `${url} ${JSON.stringify(stream)}`,
        ).toEqual({
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'stream',
            code: 'invalid_type',
            message: `'stream' must be a boolean; got ${JSON.stringify(stream)}.`,
          },
        });
      for (const stream of [false, null])
        expect((await postJson(url, { ...body, stream })).status, `${url} ${stream}`).toBe(200);
      expect(await postJson(url, { ...body, stream: true })).toMatchObject({
        status: 400,
        error: {
          param: 'stream',
          message: expect.stringMatching(/^stream: true \(partial images\) is not served/),
        },
      });
    }
  });

  it('is a 400 naming stream on image edit and transcription forms unless "true" or "false"', async () => {
    const routes: [string, (stream?: string) => Part[], RegExp][] = [
      ['/v1/images/edits', editParts, /^stream: true \(partial images\) is not served/],
      ['/v1/audio/transcriptions', transcriptionParts, /^stream: true is not served/],
    ];
    for (const [url, parts, notServed] of routes) {
      for (const stream of ['1', 'True', 'yes', ''])
        expect(await postForm(url, parts(stream)), `${url} "${stream}"`).toEqual({
          status: 400,
          error: {
            type: 'invalid_request_error',
            param: 'stream',
            code: 'invalid_value',
            message: `stream must be "true" or "false" in a multipart form; got ${JSON.stringify(stream)}.`,
          },
        });
      expect((await postForm(url, parts('false'))).status, url).toBe(200);
      expect((await postForm(url, parts())).status, url).toBe(200);
      expect(await postForm(url, parts('true'))).toMatchObject({
        status: 400,
        error: { param: 'stream', message: expect.stringMatching(notServed) },
      });
    }
  });
});

describe('a prompt or query of the wrong type', () => {
  it('says what the field must be, not that it is missing', async () => {
    const cases: [string, object, string, string][] = [
      [
        '/v1/completions',
        { model: 'model-router', prompt: 5 },
        'prompt',
        'prompt must be a string: the text to complete (an array may hold one such string); got 5.',
      ],
      [
        '/v1/completions',
        { model: 'model-router', prompt: [5] },
        'prompt',
        'prompt must be a string: the text to complete (an array may hold one such string); got [5].',
      ],
      [
        '/v1/images/generations',
        { model: 'img', prompt: 5 },
        'prompt',
        'prompt must be a string: a text description of the image(s); got 5.',
      ],
      [
        '/v1/images/edits',
        { ...editJson, prompt: 5 },
        'prompt',
        'prompt must be a string: a text description of the edit; got 5.',
      ],
      [
        '/v1/rerank',
        { model: 'rr', query: 5, documents: ['a'] },
        'query',
        'query must be a string: the text to rank documents by; got 5.',
      ],
    ];
    for (const [url, body, param, message] of cases)
      expect(await postJson(url, body), `${url} ${JSON.stringify(body)}`).toEqual({
        status: 400,
        error: { type: 'invalid_request_error', param, code: 'invalid_type', message },
      });
  });

  it('a prompt or query left out is still called required', async () => {
    const cases: [string, object, string][] = [
      ['/v1/completions', { model: 'model-router' }, 'prompt'],
      ['/v1/images/generations', { model: 'img', prompt: '' }, 'prompt'],
      ['/v1/rerank', { model: 'rr', documents: ['a'] }, 'query'],
    ];
    for (const [url, body, param] of cases) {
      const out = await postJson(url, body);
      expect(out.status, url).toBe(400);
      expect(out.error, url).toMatchObject({
        param,
        message: expect.stringMatching(new RegExp(`^${param} is required`)),
      });
    }
  });
});

describe('an image edit whose JSON is not UTF-8', () => {
  it('is a 400 naming the byte, as every other JSON body', async () => {
    const head = Buffer.from(
      JSON.stringify({ model: 'img', images: editJson.images, prompt: 'caf' }).slice(0, -2),
    );
    // `"prompt":"caf\xE9"}`: Latin-1 é, no UTF-8 character.
    const body = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/images/edits',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_json',
      message: expect.stringMatching(
        new RegExp(
          `^The request body is not valid UTF-8: byte 0xE9 at line 1, column ${head.length + 1} `,
        ),
      ),
    });
  });
});
