// What a realtime response cost, from its `response.done` usage (openapi.yaml RealtimeResponse
// `usage`: input and output tokens, each split into text and audio, cached input split too) and
// the deployment's prices: text at the token prices, audio at `audioInputPer1M` /
// `audioOutputPer1M` (else the token prices), cached input at the cached prices.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { isObject } from '../core/is-object.js';
import { tokenCount } from './cost.js';

export interface RealtimeUsage {
  promptTokens: number;
  cachedTokens: number;
  completionTokens: number;
  costUsd: number;
}

const num = (x: unknown) => tokenCount(x) ?? 0;
const obj = (x: unknown): Record<string, unknown> => (isObject(x) ? x : {});

/** The tokens and cost of one response's `usage` on `d` (zeros for a usage it did not report). */
export function realtimeCost(d: Pick<DeploymentConfig, 'prices'>, usage: unknown): RealtimeUsage {
  const u = obj(usage);
  const input = num(u.input_tokens);
  const output = num(u.output_tokens);
  const inDetails = obj(u.input_token_details);
  const cached = Math.min(num(inDetails.cached_tokens), input);
  const cachedAudio = Math.min(num(obj(inDetails.cached_tokens_details).audio_tokens), cached);
  const audioIn = Math.max(0, Math.min(num(inDetails.audio_tokens), input) - cachedAudio);
  const textIn = Math.max(0, input - cached - audioIn);
  const audioOut = Math.min(num(obj(u.output_token_details).audio_tokens), output);
  const p = d.prices;
  const cachedPrice = p.cachedInputPer1M ?? p.inputPer1M;
  const cost =
    textIn * p.inputPer1M +
    (cached - cachedAudio) * cachedPrice +
    audioIn * (p.audioInputPer1M ?? p.inputPer1M) +
    cachedAudio *
      (p.cachedAudioInputPer1M ?? p.cachedInputPer1M ?? p.audioInputPer1M ?? p.inputPer1M) +
    audioOut * (p.audioOutputPer1M ?? p.outputPer1M) +
    (output - audioOut) * p.outputPer1M;
  return {
    promptTokens: input,
    cachedTokens: cached,
    completionTokens: output,
    costUsd: cost / 1e6,
  };
}
