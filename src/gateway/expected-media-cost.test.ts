// What image, speech and transcription calls may cost, judged before they are sent (the budget
// reservation at admission): never less than media-cost.ts then charges for the same request.
import { describe, expect, it } from 'vitest';
import type { TranscriptionForm } from '../core/wire-types.js';
import { wavHeader } from '../providers/simulated/simulated-media.js';
import {
  dearestImagePrice,
  expectedImagesCostUsd,
  expectedSpeechCostUsd,
  expectedTranscriptCostUsd,
  imageOutputTokens,
} from './expected-media-cost.js';
import { imagePrice, speechCost } from './media-cost.js';

const priced = (prices: Record<string, unknown>, model = 'dall-e-3') =>
  ({ model, prices: { inputPer1M: 0, outputPer1M: 0, ...prices } }) as never;

describe('the dearest price of an image', () => {
  const d = priced({
    perImage: 0.04,
    perImageBy: { 'hd/1024x1792': 0.12, '1792x1024': 0.08, hd: 0.09, 'standard/1024x1792': 0.06 },
  });

  it('quality and size both fixed: exactly the price charged after', () => {
    for (const [quality, size] of [
      ['hd', '1024x1792'],
      ['hd', '1024x1024'],
      ['standard', '1792x1024'],
      ['standard', '1024x1024'],
    ])
      expect(dearestImagePrice(d, { quality, size })).toBe(imagePrice(d, quality, size));
  });

  it('a field left to the model (none, or auto): the most any price it may take costs', () => {
    expect(dearestImagePrice(d, {})).toBe(0.12);
    expect(dearestImagePrice(d, { quality: 'auto', size: 'auto' })).toBe(0.12);
    // Standard at some size: its own 1024x1792 price, or 1792x1024's, never hd's.
    expect(dearestImagePrice(d, { quality: 'standard' })).toBe(0.08);
    // 1024x1024 at some quality: hd's $0.09 (no entry names that size).
    expect(dearestImagePrice(d, { size: '1024x1024' })).toBe(0.09);
    expect(dearestImagePrice(priced({ perImage: 0.02 }), {})).toBe(0.02);
    expect(dearestImagePrice(priced({}), {})).toBe(0);
  });

  it('n images, and the prompt at the input price', () => {
    const e = priced({ inputPer1M: 5, perImage: 0.04 });
    expect(expectedImagesCostUsd(e, { n: 3 }, 1000)).toBeCloseTo(0.12 + 0.005, 12);
    expect(expectedImagesCostUsd(e, { n: null }, 0)).toBeCloseTo(0.04, 12);
  });
});

describe('a GPT image model priced by tokens', () => {
  const gpt = priced({ inputPer1M: 10, outputPer1M: 40 }, 'gpt-image-1');

  it("OpenAI's output tokens for the quality and size, the most of those left open", () => {
    expect(imageOutputTokens('gpt-image-1', { quality: 'low', size: '1024x1024' })).toBe(272);
    expect(imageOutputTokens('gpt-image-1', { quality: 'high', size: '1536x1024' })).toBe(6208);
    expect(imageOutputTokens('gpt-image-1-mini', { quality: 'medium' })).toBe(1584);
    expect(imageOutputTokens('gpt-image-1', { quality: 'auto', size: 'auto' })).toBe(6240);
    // No documented counts: dall-e (priced per image), gpt-image-2's free sizes, a local model.
    expect(imageOutputTokens('dall-e-3', {})).toBe(0);
    expect(imageOutputTokens('gpt-image-2', { quality: 'high', size: '2048x2048' })).toBe(0);
    expect(imageOutputTokens('my-local-diffusion', {})).toBe(0);
  });

  it('2 high-quality square images: 2 × 4,160 tokens at $40/1M, and the prompt at $10/1M', () => {
    const cost = expectedImagesCostUsd(gpt, { n: 2, quality: 'high', size: '1024x1024' }, 100);
    expect(cost).toBeCloseTo((2 * 4160 * 40 + 100 * 10) / 1e6, 12);
  });

  it('priced per image and per token too: the dearer of the two an image, not both', () => {
    // media-cost.ts charges the tokens when the reply reports them, else the per-image price.
    const both = priced(
      { inputPer1M: 5, outputPer1M: 40, perImage: 0.011, perImageBy: { high: 0.2 } },
      'gpt-image-1',
    );
    const ask = { n: 3, quality: 'high', size: '1024x1024' };
    expect(expectedImagesCostUsd(both, ask, 0)).toBeCloseTo(3 * 0.2, 12);
    const cheapPerImage = priced({ outputPer1M: 40, perImage: 0.011 }, 'gpt-image-1');
    expect(expectedImagesCostUsd(cheapPerImage, ask, 0)).toBeCloseTo((3 * 4160 * 40) / 1e6, 12);
  });
});

describe('audio', () => {
  it("speech: the text's characters at the character price, as it is charged", () => {
    const d = priced({ inputCharsPer1M: 15 });
    const input = 'héllo 👋 wörld';
    expect(expectedSpeechCostUsd(d, input)).toBe(speechCost(d, input).costUsd);
    expect(expectedSpeechCostUsd(d, '👋'.repeat(1000))).toBeCloseTo(0.015, 12);
  });

  it("a transcription: a WAV file's minutes from its header; other audio nothing", () => {
    const d = priced({ perAudioMinute: 0.006 });
    const form = (data: Buffer): TranscriptionForm => ({
      fields: [],
      file: { filename: 'a', contentType: 'audio/wav', data },
      model: 'whisper-1',
      responseFormat: 'json',
    });
    // 90 s of 8 kHz 16-bit mono: 1.5 minutes.
    const wav = Buffer.concat([wavHeader(90 * 16_000), Buffer.alloc(90 * 16_000)]);
    expect(expectedTranscriptCostUsd(d, form(wav))).toBeCloseTo(0.009, 12);
    expect(expectedTranscriptCostUsd(d, form(Buffer.from('ID3 an mp3')))).toBe(0);
  });
});
