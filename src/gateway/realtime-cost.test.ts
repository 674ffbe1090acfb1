// A realtime response's cost from its `response.done` usage: text and audio apart, cached input
// at the cached prices, and the token prices where no audio price is set.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import { realtimeCost } from './realtime-cost.js';

// gpt-realtime's list prices, USD per 1M tokens.
const gptRealtime = {
  prices: {
    inputPer1M: 4,
    cachedInputPer1M: 0.4,
    outputPer1M: 16,
    audioInputPer1M: 32,
    audioOutputPer1M: 64,
  },
};

// The usage of openapi.yaml's RealtimeServerEventResponseDone example.
const usage = {
  total_tokens: 253,
  input_tokens: 132,
  output_tokens: 121,
  input_token_details: {
    text_tokens: 119,
    audio_tokens: 13,
    image_tokens: 0,
    cached_tokens: 64,
    cached_tokens_details: { text_tokens: 64, audio_tokens: 0, image_tokens: 0 },
  },
  output_token_details: { text_tokens: 30, audio_tokens: 91 },
};

describe('realtimeCost', () => {
  it("bills text, audio and cached input at their prices (the spec's example)", () => {
    const c = realtimeCost(gptRealtime, usage);
    expect(c).toMatchObject({ promptTokens: 132, cachedTokens: 64, completionTokens: 121 });
    // 55 text in × 4 + 64 cached × 0.4 + 13 audio in × 32 + 30 text out × 16 + 91 audio out × 64.
    expect(c.costUsd).toBeCloseTo((220 + 25.6 + 416 + 480 + 5_824) / 1e6, 12);
  });

  it('bills cached audio at cachedAudioInputPer1M, else the cached price', () => {
    const cachedAudio = {
      input_tokens: 100,
      output_tokens: 0,
      input_token_details: {
        audio_tokens: 100,
        cached_tokens: 40,
        cached_tokens_details: { audio_tokens: 40 },
      },
    };
    const own = { prices: { ...gptRealtime.prices, cachedAudioInputPer1M: 2 } };
    expect(realtimeCost(own, cachedAudio).costUsd).toBeCloseTo((60 * 32 + 40 * 2) / 1e6, 12);
    expect(realtimeCost(gptRealtime, cachedAudio).costUsd).toBeCloseTo(
      (60 * 32 + 40 * 0.4) / 1e6,
      12,
    );
  });

  it('uses the token prices without audio prices, and zero for a missing usage', () => {
    const plain = { prices: { inputPer1M: 1, outputPer1M: 2 } };
    expect(realtimeCost(plain, usage).costUsd).toBeCloseTo((132 * 1 + 121 * 2) / 1e6, 12);
    expect(realtimeCost(plain, undefined)).toEqual({
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
      costUsd: 0,
    });
  });
});

describe('kind: realtime in the config', () => {
  it('is refused on Anthropic, which has no Realtime API', () => {
    const input = testConfigInput();
    const realtime = (provider: 'anthropic' | 'azure') =>
      simDeployment('rt', {
        kind: 'realtime',
        provider,
        baseUrl: 'https://example.test',
        apiVersion: '2025-08-28',
        maxOutputTokens: undefined,
      });
    expect(() =>
      parseConfig({ ...input, deployments: [...input.deployments, realtime('anthropic')] }, {}),
    ).toThrow(/deployments\[3\]\.kind: provider "anthropic" has no Realtime API/);
    expect(
      parseConfig({ ...input, deployments: [...input.deployments, realtime('azure')] }, {}).config
        .deployments[3]!.kind,
    ).toBe('realtime');
  });
});
