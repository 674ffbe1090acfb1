// A speech body's input and voice: "is required" only when missing; a wrong one says what is wrong.
import { describe, expect, it } from 'vitest';
import { parseSpeechRequest } from './audio-routes.js';

const refusal = (body: Record<string, unknown>) => {
  try {
    parseSpeechRequest({ model: 'tts-1', input: 'hi', voice: 'alloy', ...body });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a 400');
};

describe('parseSpeechRequest', () => {
  it('tells a missing, wrongly typed, empty and over-long input apart', () => {
    expect(refusal({ input: undefined })).toMatch(/^input is required: /);
    expect(refusal({ input: 5 })).toMatch(/^input must be a string \(got 5\): /);
    expect(refusal({ input: '' })).toMatch(/^input is empty: /);
    expect(refusal({ input: 'a'.repeat(4097) })).toMatch(
      /^input is 4097 characters, over the limit: the text to speak, 1 to 4096 characters\.$/,
    );
  });

  it('counts characters, not UTF-16 units: 4,096 emoji fit, 4,097 do not (media audit F2)', () => {
    expect(() =>
      parseSpeechRequest({ model: 'tts-1', input: '😀'.repeat(4096), voice: 'alloy' }),
    ).not.toThrow();
    expect(refusal({ input: '𝄞'.repeat(4097) })).toMatch(/^input is 4097 characters, over/);
  });

  it('tells a missing voice from a wrongly typed one', () => {
    expect(refusal({ voice: undefined })).toMatch(/^voice is required: /);
    expect(refusal({ voice: 5 })).toMatch(/^voice must be a string or \{"id": …\} \(got 5\): /);
    expect(() =>
      parseSpeechRequest({ model: 'tts-1', input: 'hi', voice: { id: 'v1' } }),
    ).not.toThrow();
  });

  it('refuses an empty voice name or id, which names no voice (it was sent on)', () => {
    expect(refusal({ voice: '' })).toMatch(/^voice is empty: a voice name \(e\.g\. "alloy"\)/);
    expect(refusal({ voice: { id: '' } })).toMatch(/^voice is empty: /);
    expect(refusal({ voice: { id: 7 } })).toMatch(
      /^voice must be a string or \{"id": …\} \(got an object\)/,
    );
  });
});
