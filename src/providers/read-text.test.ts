// readText decodes an upstream body read in chunks: a character whose bytes two chunks share is
// one character, not two U+FFFD (each chunk was decoded alone before).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readText, type UpstreamHttpResponse } from './http-client.js';

const bodyOf = (chunks: Buffer[]) =>
  Readable.from(chunks, { objectMode: true }) as unknown as UpstreamHttpResponse['body'];

describe('readText', () => {
  const text = '{"answer":"Grüße, 東京 🙂 — ok"}';
  const bytes = Buffer.from(text, 'utf8');

  it('reads the same text however the body is cut into chunks', async () => {
    for (let at = 1; at < bytes.length; at++)
      expect(
        await readText(bodyOf([bytes.subarray(0, at), bytes.subarray(at)])),
        `cut at ${at}`,
      ).toBe(text);
    const single = [...bytes].map((b) => Buffer.from([b]));
    expect(await readText(bodyOf(single))).toBe(text);
  });

  it('stops at its limit, and ends a cut-off character as U+FFFD', async () => {
    expect(await readText(bodyOf([bytes]), 12)).toBe(text.slice(0, 12));
    const cut = bytes.subarray(0, bytes.indexOf(Buffer.from('東')) + 1);
    expect(await readText(bodyOf([cut]))).toBe('{"answer":"Grüße, \uFFFD');
  });
});
