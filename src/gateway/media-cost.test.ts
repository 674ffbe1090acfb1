// What image, speech and transcription calls cost, and the config's refusal of media kinds on a
// provider without those APIs.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import type { ImagesReply, ImagesRequest, TranscriptionForm } from '../core/wire-types.js';
import { wavHeader } from '../providers/simulated/simulated-media.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { audioSeconds, imagePrice, imagesCost, speechCost, transcriptCost } from './media-cost.js';

const priced = (prices: Record<string, unknown>) =>
  ({ prices: { inputPer1M: 0, outputPer1M: 0, ...prices } }) as never;

const form = (format: string, data = Buffer.from('not audio')): TranscriptionForm => ({
  fields: [],
  file: { filename: 'a.mp3', contentType: 'audio/mpeg', data },
  model: 'whisper-1',
  responseFormat: format,
});
const reply = (body: string, contentType: string) => ({
  body: Buffer.from(body),
  contentType,
  headers: {},
});

describe('image prices', () => {
  const d = priced({
    perImage: 0.04,
    perImageBy: { 'hd/1024x1792': 0.12, '1792x1024': 0.08, hd: 0.09 },
  });
  it('the most specific of quality/size, size, quality; else perImage', () => {
    expect(imagePrice(d, 'hd', '1024x1792')).toBe(0.12);
    expect(imagePrice(d, 'standard', '1792x1024')).toBe(0.08);
    expect(imagePrice(d, 'hd', '1024x1024')).toBe(0.09);
    expect(imagePrice(d, undefined, '1024x1024')).toBe(0.04);
    expect(imagePrice(priced({}), 'hd', '1024x1024')).toBe(0);
  });
  // Priced both ways, as the default config's gpt-image-1: $0.042 a medium image is its 1,056
  // output tokens at $40 per 1M, which is what OpenAI bills when the reply reports them.
  const both = priced({
    inputPer1M: 5,
    outputPer1M: 40,
    perImage: 0.011,
    perImageBy: { medium: 0.042 },
  });
  const twoImages = (usage?: ImagesReply['usage']) =>
    ({ created: 1, data: [{}, {}], ...(usage ? { usage } : {}) }) as ImagesReply;
  it("a reply's output tokens bill its images: no per-image price on top", () => {
    const cost = imagesCost(
      both,
      { model: 'm', prompt: 'p', quality: 'medium' } as ImagesRequest,
      twoImages({ input_tokens: 100, output_tokens: 2112 } as ImagesReply['usage']),
    );
    expect(cost.promptTokens).toBe(100);
    expect(cost.completionTokens).toBe(2112);
    expect(cost.costUsd).toBeCloseTo((100 * 5 + 2112 * 40) / 1e6, 12);
  });
  it('a reply without output tokens: each image at its per-image price', () => {
    const ask = { model: 'm', prompt: 'p', quality: 'medium' } as ImagesRequest;
    expect(imagesCost(both, ask, twoImages()).costUsd).toBeCloseTo(2 * 0.042, 12);
    const inputOnly = twoImages({ input_tokens: 100, output_tokens: 0 } as ImagesReply['usage']);
    expect(imagesCost(both, ask, inputOnly).costUsd).toBeCloseTo(2 * 0.042 + 500 / 1e6, 12);
  });
  it('per image, plus the input tokens, where the deployment has no output price', () => {
    const cost = imagesCost(
      priced({ inputPer1M: 5, perImage: 0.01 }),
      { model: 'm', prompt: 'p' } as ImagesRequest,
      twoImages({ input_tokens: 100, output_tokens: 2000 } as ImagesReply['usage']),
    );
    expect(cost.costUsd).toBeCloseTo(2 * 0.01 + (100 * 5) / 1e6, 12);
  });
  // An edit's reply, as OpenAI's API reference shows it (shared/specs/openai/openapi.yaml,
  // ImagesUsage): input_tokens counts text and images, input_tokens_details splits them.
  const edit = {
    created: 1,
    data: [{}],
    usage: {
      total_tokens: 2350,
      input_tokens: 350,
      output_tokens: 2000,
      input_tokens_details: { text_tokens: 30, image_tokens: 320 },
    },
  } as ImagesReply;
  const ask = { model: 'm', prompt: 'p' } as ImagesRequest;
  it("an edit's input image tokens at imageInputPer1M, its text tokens at inputPer1M", () => {
    // gpt-image-1: text input $5, image input $10, image output $40 per 1M tokens.
    const d = priced({ inputPer1M: 5, imageInputPer1M: 10, outputPer1M: 40 });
    const cost = imagesCost(d, ask, edit);
    expect(cost.promptTokens).toBe(350);
    expect(cost.completionTokens).toBe(2000);
    expect(cost.costUsd).toBeCloseTo((30 * 5 + 320 * 10 + 2000 * 40) / 1e6, 12);
  });
  it('without imageInputPer1M, or a usage that does not split them, all input at inputPer1M', () => {
    const all = (350 * 5 + 2000 * 40) / 1e6;
    expect(imagesCost(priced({ inputPer1M: 5, outputPer1M: 40 }), ask, edit).costUsd).toBeCloseTo(
      all,
      12,
    );
    const unsplit = { ...edit, usage: { input_tokens: 350, output_tokens: 2000 } } as ImagesReply;
    const d = priced({ inputPer1M: 5, imageInputPer1M: 10, outputPer1M: 40 });
    expect(imagesCost(d, ask, unsplit).costUsd).toBeCloseTo(all, 12);
    // More image tokens than input tokens (a malformed reply): no more than the input is priced.
    const over = {
      ...edit,
      usage: { ...edit.usage, input_tokens_details: { text_tokens: 0, image_tokens: 9e9 } },
    } as ImagesReply;
    expect(imagesCost(d, ask, over).costUsd).toBeCloseTo((350 * 10 + 2000 * 40) / 1e6, 12);
  });
  it('imageInputPer1M is a price the config takes (non-negative, optional)', () => {
    const input = testConfigInput();
    input.deployments.push(
      simDeployment('img', {
        kind: 'images',
        prices: { inputPer1M: 5, imageInputPer1M: 10, outputPer1M: 40 },
      }),
    );
    expect(
      parseConfig(input, {}).config.deployments.find((d) => d.name === 'img')!.prices,
    ).toMatchObject({ imageInputPer1M: 10 });
    input.deployments.at(-1)!.prices = { inputPer1M: 5, imageInputPer1M: -1, outputPer1M: 40 };
    expect(() => parseConfig(input, {})).toThrow(/imageInputPer1M/);
  });
});

describe('speech and transcription prices', () => {
  it('speech: per 1M input characters', () => {
    expect(speechCost(priced({ inputCharsPer1M: 30 }), 'x'.repeat(1000)).costUsd).toBeCloseTo(
      0.03,
      12,
    );
    // Characters, not UTF-16 units: 1000 emoji are 1000 characters (media audit F2).
    expect(speechCost(priced({ inputCharsPer1M: 30 }), '😀'.repeat(1000)).costUsd).toBeCloseTo(
      0.03,
      12,
    );
  });
  it('the audio length from verbose_json, usage.seconds, an srt/vtt last cue, or a WAV header', () => {
    expect(
      audioSeconds(
        form('verbose_json'),
        reply('{"duration": 12.5, "text": ""}', 'application/json'),
      ),
    ).toBe(12.5);
    expect(
      audioSeconds(
        form('json'),
        reply('{"text":"", "usage": {"type":"duration","seconds":7}}', 'application/json'),
      ),
    ).toBe(7);
    expect(
      audioSeconds(
        form('srt'),
        reply(
          '1\n00:00:00,000 --> 00:00:02,000\nhi\n\n2\n00:01:02,000 --> 00:01:05,250\nbye\n',
          'text/plain',
        ),
      ),
    ).toBe(65.25);
    expect(
      audioSeconds(form('vtt'), reply('WEBVTT\n\n00:00.000 --> 00:03.500\nhi\n', 'text/vtt')),
    ).toBe(3.5);
    const wav = Buffer.concat([wavHeader(16_000 * 3), Buffer.alloc(16_000 * 3)]);
    expect(audioSeconds(form('text', wav), reply('hi', 'text/plain'))).toBe(3);
    expect(audioSeconds(form('text'), reply('hi', 'text/plain'))).toBeUndefined();
  });
  it('transcription: per audio minute when the length is known; tokens when reported; else 0', () => {
    const d = priced({ perAudioMinute: 0.006, inputPer1M: 2.5, outputPer1M: 10 });
    expect(
      transcriptCost(d, form('verbose_json'), reply('{"duration":120}', 'application/json'))
        .costUsd,
    ).toBeCloseTo(0.012, 12);
    const tokens = transcriptCost(
      d,
      form('json'),
      reply(
        '{"text":"","usage":{"type":"tokens","input_tokens":1000,"output_tokens":100}}',
        'application/json',
      ),
    );
    expect(tokens).toMatchObject({ promptTokens: 1000, completionTokens: 100 });
    expect(tokens.costUsd).toBeCloseTo((1000 * 2.5 + 100 * 10) / 1e6, 12);
    expect(transcriptCost(d, form('text'), reply('hello', 'text/plain')).costUsd).toBe(0);
  });
  it('a WAV upload whose reply reports tokens: the tokens, not its minutes on top', () => {
    const d = priced({ perAudioMinute: 0.006, inputPer1M: 2.5, outputPer1M: 10 });
    const wav = Buffer.concat([wavHeader(16_000 * 120), Buffer.alloc(16_000 * 120)]);
    const usage = '"usage":{"type":"tokens","input_tokens":1000,"output_tokens":100}';
    const json = (body: string) => reply(`{"text":""${body}}`, 'application/json');
    expect(transcriptCost(d, form('json', wav), json(`,${usage}`)).costUsd).toBeCloseTo(
      (1000 * 2.5 + 100 * 10) / 1e6,
      12,
    );
    // No tokens reported, or no token prices: the two minutes from its header.
    expect(transcriptCost(d, form('json', wav), json('')).costUsd).toBeCloseTo(0.012, 12);
    const perMinute = priced({ perAudioMinute: 0.006 });
    expect(transcriptCost(perMinute, form('json', wav), json(`,${usage}`)).costUsd).toBeCloseTo(
      0.012,
      12,
    );
  });
  // A gpt-4o-transcribe reply, as OpenAI's API reference shows it (shared/specs/openai/openapi.yaml,
  // CreateTranscriptionResponseJson's example, TranscriptTextUsageTokens): input_tokens counts
  // text and audio, input_token_details splits them.
  const split = {
    type: 'tokens',
    input_tokens: 14,
    input_token_details: { text_tokens: 10, audio_tokens: 4 },
    output_tokens: 101,
    total_tokens: 115,
  };
  const tokenReply = (usage: unknown) =>
    reply(JSON.stringify({ text: 'Imagine…', usage }), 'application/json');
  // gpt-4o-transcribe: text input $2.50, audio input $6, output $10 per 1M tokens.
  const gpt4oTranscribe = priced({ inputPer1M: 2.5, audioInputPer1M: 6, outputPer1M: 10 });
  it("a transcript's input audio tokens at audioInputPer1M, its text tokens at inputPer1M", () => {
    const cost = transcriptCost(gpt4oTranscribe, form('json'), tokenReply(split));
    expect(cost).toMatchObject({ promptTokens: 14, completionTokens: 101 });
    expect(cost.costUsd).toBeCloseTo((10 * 2.5 + 4 * 6 + 101 * 10) / 1e6, 12);
  });
  it('without audioInputPer1M, or a usage that does not split them, all input at inputPer1M', () => {
    const all = (14 * 2.5 + 101 * 10) / 1e6;
    const unpriced = priced({ inputPer1M: 2.5, outputPer1M: 10 });
    expect(transcriptCost(unpriced, form('json'), tokenReply(split)).costUsd).toBeCloseTo(all, 12);
    const { input_token_details: _, ...unsplit } = split;
    expect(transcriptCost(gpt4oTranscribe, form('json'), tokenReply(unsplit)).costUsd).toBeCloseTo(
      all,
      12,
    );
    // More audio tokens than input tokens (a malformed reply): no more than the input is priced.
    const over = { ...split, input_token_details: { text_tokens: 0, audio_tokens: 9e9 } };
    expect(transcriptCost(gpt4oTranscribe, form('json'), tokenReply(over)).costUsd).toBeCloseTo(
      (14 * 6 + 101 * 10) / 1e6,
      12,
    );
  });
});

describe('config', () => {
  it('an Anthropic deployment of kind images, speech or transcription is refused, saying why', () => {
    const input = testConfigInput();
    for (const kind of ['images', 'speech', 'transcription'] as const)
      input.deployments.push(
        simDeployment(`claude-${kind}`, { kind, provider: 'anthropic', simulation: undefined }),
      );
    expect(() => parseConfig(input, {})).toThrow(
      /deployments\[3\]\.kind: provider "anthropic" has no image generation API \(Anthropic serves chat only\)/,
    );
    expect(() => parseConfig(input, {})).toThrow(
      /deployments\[4\]\.kind: provider "anthropic" has no text-to-speech API/,
    );
    expect(() => parseConfig(input, {})).toThrow(
      /deployments\[5\]\.kind: provider "anthropic" has no transcription API/,
    );
  });
  it('a router subset naming an image model is refused, pointing at its path', () => {
    const input = testConfigInput({ routers: [{ name: 'r', modelSubset: ['big', 'img'] }] });
    input.deployments.push(simDeployment('img', { kind: 'images' }));
    expect(() => parseConfig(input, {})).toThrow(
      /"img" is an images deployment; routers route chat \(clients call it by name on \/v1\/images\/generations\)/,
    );
  });
});
