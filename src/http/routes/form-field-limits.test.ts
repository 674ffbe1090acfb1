// Multipart text fields of image edits and transcriptions, through the app on a loopback port: a
// field of exactly 128 KB is read whole (the simulated image model draws from the whole prompt, so
// two prompts differing in their last byte give different images); one byte more is a 400 in
// OpenAI's shape (`string_above_max_length`) naming the field and the limit, never a cut value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedPng, wavHeader } from '../../providers/simulated/simulated-media.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { mediaTestApp } from '../../../test/helpers/media-test-app.js';

const LIMIT = 128 * 1024;
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await mediaTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(() => t?.app.close());

type Reply = { status: number; body: { error?: unknown; data?: { b64_json?: string }[] } };

async function post(path: string, form: FormData): Promise<Reply> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

/** An edit of one PNG with this prompt. */
function editForm(prompt: string): FormData {
  const f = new FormData();
  f.set('model', 'img');
  f.set('prompt', prompt);
  f.set('image', new Blob([simulatedPng('x', 0)], { type: 'image/png' }), 'x.png');
  return f;
}

/** A transcription of a short WAV, with this prompt (a text field passed upstream). */
function transcriptionForm(prompt: string): FormData {
  const f = new FormData();
  f.set('model', 'stt');
  f.set('prompt', prompt);
  f.set('file', new Blob([wavHeader(1600), Buffer.alloc(1600)], { type: 'audio/wav' }), 'a.wav');
  return f;
}

const tooLong = (param: string) => ({
  status: 400,
  body: {
    error: {
      type: 'invalid_request_error',
      code: 'string_above_max_length',
      param,
      message: `Invalid '${param}': string too long. Expected a string with maximum length ${LIMIT} bytes (128 KB) in a multipart form field; send a shorter one.`,
    },
  },
});

describe('multipart text fields', () => {
  it('an image edit reads a prompt of exactly 128 KB whole; one byte more is a 400', async () => {
    const x = await post('/v1/images/edits', editForm(`${'a'.repeat(LIMIT - 1)}x`));
    const y = await post('/v1/images/edits', editForm(`${'a'.repeat(LIMIT - 1)}y`));
    expect([x.status, y.status]).toEqual([200, 200]);
    // Read to its last byte: another last byte, another image.
    expect(x.body.data?.[0]?.b64_json).toBeDefined();
    expect(x.body.data?.[0]?.b64_json).not.toBe(y.body.data?.[0]?.b64_json);

    expect(await post('/v1/images/edits', editForm('a'.repeat(LIMIT + 1)))).toEqual(
      tooLong('prompt'),
    );
  });

  it('a transcription takes a field of exactly 128 KB; one byte more is a 400', async () => {
    expect(
      (await post('/v1/audio/transcriptions', transcriptionForm('a'.repeat(LIMIT)))).status,
    ).toBe(200);
    expect(
      await post('/v1/audio/transcriptions', transcriptionForm('a'.repeat(LIMIT + 1))),
    ).toEqual(tooLong('prompt'));
  });
});
