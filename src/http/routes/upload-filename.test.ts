// The file name of a multipart upload (files, transcriptions, image edits), through app.inject: an
// upload audit (2026-12-07) found a 5,000-character name kept and bytes that are no UTF-8 stored
// as U+FFFD without a word. A name past 255 bytes (the most file systems keep) or with bytes that
// are no UTF-8 is a 400 in OpenAI's shape naming the field; a name in UTF-8 is kept as sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedPng, wavHeader } from '../../providers/simulated/simulated-media.js';
import { createMemoryBatchStore } from '../../store/memory/memory-batch-store.js';
import type { TestApp } from '../../../test/helpers/build-test-app.js';
import { mediaTestApp } from '../../../test/helpers/media-test-app.js';
import { MAX_FILENAME_BYTES } from './form-field.js';

let t: TestApp;

beforeAll(async () => {
  t = await mediaTestApp({ files: createMemoryBatchStore() });
});

afterAll(() => t?.app.close());

interface Part {
  name: string;
  value: Buffer | string;
  /** The file name's bytes as they go on the wire (a string as UTF-8). */
  filename?: Buffer | string;
  /** RFC 5987's `filename*` parameter as written, e.g. `ISO-8859-1''r%E9sum%E9.jsonl`. */
  filenameStar?: string;
  contentType?: string;
}

/** A multipart form built byte by byte, so a file name can hold bytes that are no UTF-8. */
function form(parts: Part[]) {
  const boundary = '----upload-filename-test';
  const out: Buffer[] = [];
  for (const p of parts) {
    out.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`));
    if (p.filename !== undefined)
      out.push(Buffer.from('; filename="'), Buffer.from(p.filename), Buffer.from('"'));
    if (p.filenameStar !== undefined) out.push(Buffer.from(`; filename*=${p.filenameStar}`));
    if (p.contentType) out.push(Buffer.from(`\r\nContent-Type: ${p.contentType}`));
    out.push(Buffer.from('\r\n\r\n'), Buffer.from(p.value), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(out),
  };
}

const post = async (url: string, parts: Part[]) => {
  const res = await t.app.inject({ method: 'POST', url, ...form(parts) });
  return {
    status: res.statusCode,
    body: res.json() as { filename?: string; error: { message: string; param: string } },
  };
};

const batchUpload = (filename: Buffer | string) =>
  post('/v1/files', [
    { name: 'purpose', value: 'batch' },
    { name: 'file', value: '{}\n', filename, contentType: 'application/jsonl' },
  ]);
const transcription = (filename: Buffer | string) =>
  post('/v1/audio/transcriptions', [
    { name: 'model', value: 'stt' },
    {
      name: 'file',
      value: Buffer.concat([wavHeader(1600), Buffer.alloc(1600)]),
      filename,
      contentType: 'audio/wav',
    },
  ]);
const imageEdit = (filename: Buffer | string) =>
  post('/v1/images/edits', [
    { name: 'model', value: 'img' },
    { name: 'prompt', value: 'a cat' },
    { name: 'image', value: simulatedPng('x', 0), filename, contentType: 'image/png' },
  ]);

/** 'é' (2 bytes in UTF-8) n times, then `.jsonl`. */
const accented = (n: number, ext = '.jsonl') => `${'é'.repeat(n)}${ext}`;
/** "résumé.jsonl" in Latin-1: 0xE9 starts a UTF-8 character that never comes. */
const LATIN1 = Buffer.from('r\xe9sum\xe9.jsonl', 'latin1');

describe('the file name of an upload', () => {
  it('holds 255 bytes', () => expect(MAX_FILENAME_BYTES).toBe(255));

  it('is kept as sent up to 255 bytes of UTF-8; one byte more is a 400 naming the field', async () => {
    const longest = accented(124, 'x.jsonl'); // 248 + 7 bytes
    expect(Buffer.byteLength(longest)).toBe(255);
    const kept = await batchUpload(longest);
    expect(kept.status).toBe(200);
    expect(kept.body.filename).toBe(longest);
    for (const name of [`y${longest}`, 'a'.repeat(5000)]) {
      const r = await batchUpload(name);
      expect(r.status).toBe(400);
      expect(r.body.error).toEqual({
        type: 'invalid_request_error',
        code: 'string_above_max_length',
        param: 'file',
        message: `Invalid 'file': the file name is ${Buffer.byteLength(name)} bytes long in UTF-8; at most 255 bytes (as most file systems keep). Send the file under a shorter name.`,
      });
    }
  });

  it('with bytes that are no UTF-8 is a 400 naming the field, not a name with U+FFFD in it', async () => {
    const r = await batchUpload(LATIN1);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: 'file',
    });
    expect(r.body.error.message).toContain(
      "Invalid 'file': the file name is not valid UTF-8: character 2 is U+FFFD",
    );
    expect(r.body.error.message).toContain(`filename*=UTF-8''`);
    // The same name in UTF-8 is kept; so is one sent as RFC 5987's filename* in Latin-1.
    const utf8 = await batchUpload('résumé.jsonl');
    expect(utf8.body.filename).toBe('résumé.jsonl');
    const star = await post('/v1/files', [
      { name: 'purpose', value: 'batch' },
      {
        name: 'file',
        value: '{}\n',
        filenameStar: "ISO-8859-1''r%E9sum%E9.jsonl",
        contentType: 'application/jsonl',
      },
    ]);
    expect(star.body.filename).toBe('résumé.jsonl');
  });

  it('with a control character (a NUL, which PostgreSQL cannot store) is a 400 naming the field', async () => {
    for (const [name, code] of [
      ['a\u0000b.jsonl', 'U+0000'],
      ['a\tb.jsonl', 'U+0009'],
    ]) {
      const r = await batchUpload(name!);
      expect(r.status, code).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'invalid_value', param: 'file' });
      expect(r.body.error.message).toContain(
        `Invalid 'file': the file name holds a control character (${code}) at character 2`,
      );
    }
  });

  it('is held to the same rules on transcriptions and image edits', async () => {
    for (const send of [transcription, imageEdit]) {
      expect((await send('a.wav')).status).not.toBe(400);
      const long = await send('a'.repeat(300));
      expect(long.status).toBe(400);
      expect(long.body.error).toMatchObject({ code: 'string_above_max_length' });
      const latin1 = await send(LATIN1);
      expect(latin1.status).toBe(400);
      expect(latin1.body.error.message).toContain('the file name is not valid UTF-8');
    }
    expect((await imageEdit('a'.repeat(300))).body.error.param).toBe('image');
    expect((await transcription('a'.repeat(300))).body.error.param).toBe('file');
  });
});
