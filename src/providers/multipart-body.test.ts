import { describe, expect, it } from 'vitest';
import type { FormPart } from '../core/wire-types.js';
import { encodeFormParts } from './multipart-body.js';

/** The encoded body read back by undici's own multipart parser, in order. */
async function decode(parts: FormPart[], model: string) {
  const { body, contentType } = encodeFormParts(parts, model);
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  return { body, entries: [...form.entries()] };
}

describe('encodeFormParts', () => {
  const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
  const file = { filename: 'a "b".png', contentType: 'image/png', data: bytes };

  it("keeps the parts' order, sets model where the client put it and drops a second one", async () => {
    const { body, entries } = await decode(
      [
        { name: 'prompt', value: 'line one\r\nline two' },
        { name: 'image[]', file },
        { name: 'model', value: 'client-name' },
        { name: 'model', value: 'again' },
        { name: 'n', value: '2' },
      ],
      'upstream-name',
    );
    expect(entries.map(([k]) => k)).toEqual(['prompt', 'image[]', 'model', 'n']);
    expect(entries[0]![1]).toBe('line one\r\nline two');
    expect(entries[2]![1]).toBe('upstream-name');
    const sent = entries[1]![1] as File;
    // Escaped as the HTML form encoder does (%22), and read back as sent.
    expect(sent.name).toBe('a "b".png');
    expect(sent.type).toBe('image/png');
    expect(Buffer.from(await sent.arrayBuffer()).equals(bytes)).toBe(true);
    expect(body.indexOf(bytes)).toBeGreaterThan(0);
  });

  it('puts model first when the client sent none', async () => {
    const { entries } = await decode([{ name: 'image', file }], 'dall-e-2');
    expect(entries.map(([k, v]) => [k, typeof v === 'string' ? v : 'file'])).toEqual([
      ['model', 'dall-e-2'],
      ['image', 'file'],
    ]);
  });
});
