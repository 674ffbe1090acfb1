// What an image, speech or transcription call cost, from the deployment's prices: per image (by
// quality and size), per 1M characters spoken, per minute of audio heard, plus the token prices
// for a reply that reports token usage (gpt-image-1, gpt-4o-mini-tts, gpt-4o-transcribe), an
// image model's input image tokens and a transcription model's input audio tokens at their own
// prices (`imageInputPer1M`, `audioInputPer1M`) when it has them.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { ImagesReply, TranscriptionForm } from '../core/wire-types.js';
import type { UpstreamTranscript } from '../providers/types.js';
import { wavDurationSeconds } from '../core/wav-duration.js';
import { countChars } from '../core/char-count.js';
import { costUsd, tokenCount } from './cost.js';

/** A call's cost and the tokens its reply reported (0 when it reported none). */
export interface MediaCost {
  costUsd: number;
  promptTokens: number;
  completionTokens: number;
}

type Prices = Pick<DeploymentConfig, 'prices'>;

const tokenCost = (d: Prices, promptTokens: number, completionTokens: number) =>
  costUsd(d, { promptTokens, cachedTokens: 0, completionTokens, reasoningTokens: 0 });

const num = (x: unknown) => tokenCount(x) ?? 0;

/** The price of one image of `quality` and `size`: the most specific of `perImageBy`, else `perImage`. */
export function imagePrice(d: Prices, quality: unknown, size: unknown): number {
  const by = d.prices.perImageBy ?? {};
  const q = typeof quality === 'string' ? quality : undefined;
  const s = typeof size === 'string' ? size : undefined;
  for (const key of [q && s ? `${q}/${s}` : undefined, s, q])
    if (key !== undefined && by[key] !== undefined) return by[key];
  return d.prices.perImage ?? 0;
}

/**
 * The reply's tokens at the token prices, and its images at their per-image price (the request's
 * quality and size, else the reply's) unless those tokens bill them: a GPT image model's reply
 * reports each image as output tokens, which is what OpenAI bills (its per-image prices are those
 * tokens at the output price), so where the reply reports output tokens and the deployment has an
 * output price, the per-image prices are not added; they price the images of a reply that reports
 * none (DALL·E, a local server, an upstream that leaves `usage` out). Before 2026-12-06 both were
 * added, so a deployment priced both ways, as the default config's gpt-image-1, was charged about
 * twice for a real upstream's images. Generations, edits and variations alike.
 */
export function imagesCost(
  d: Prices,
  request: { quality?: unknown; size?: unknown },
  reply: ImagesReply,
): MediaCost {
  const images = reply.data?.length ?? 0;
  const usage = reply.usage as Record<string, unknown> | undefined;
  const promptTokens = num(usage?.input_tokens);
  const completionTokens = num(usage?.output_tokens);
  const tokensBillImages = completionTokens > 0 && d.prices.outputPer1M > 0;
  const price = tokensBillImages
    ? 0
    : imagePrice(d, request.quality ?? reply.quality, request.size ?? reply.size);
  const imageIn = imageInputCost(d, usage);
  return {
    costUsd:
      images * price + tokenCost(d, promptTokens - imageIn.tokens, completionTokens) + imageIn.usd,
    promptTokens,
    completionTokens,
  };
}

/**
 * The input image tokens a GPT image model's reply reports (an edit's images:
 * `input_tokens_details.image_tokens`, within `input_tokens`) at `imageInputPer1M`, which OpenAI
 * bills apart from text input (gpt-image-1: $10 against $5 per 1M, platform.openai.com/docs/pricing
 * as quoted in community.openai.com/t/1275254). Without that price they cost `inputPer1M` with the
 * rest of the input, as before.
 */
function imageInputCost(
  d: Prices,
  usage: Record<string, unknown> | undefined,
): { tokens: number; usd: number } {
  const details = usage?.input_tokens_details as Record<string, unknown> | undefined;
  return inputPartCost(d.prices.imageInputPer1M, details?.image_tokens, usage?.input_tokens);
}

/**
 * The part of a reply's input tokens that its usage details count apart (`part`, within `input`)
 * at its own price, to be taken out of the input priced at `inputPer1M`; none without that price.
 * No more than the input is priced, whatever a malformed reply says.
 */
function inputPartCost(
  per1M: number | undefined,
  part: unknown,
  input: unknown,
): { tokens: number; usd: number } {
  if (per1M === undefined) return { tokens: 0, usd: 0 };
  const tokens = Math.min(num(part), num(input));
  return { tokens, usd: (tokens * per1M) / 1e6 };
}

/** Minutes of audio at `perAudioMinute`: a transcript's cost, as charged or as expected. */
export function audioMinutesCost(d: Prices, seconds: number): number {
  return (seconds / 60) * (d.prices.perAudioMinute ?? 0);
}

/** Speech: the input's characters (code points, as OpenAI counts them) at `inputCharsPer1M`. */
export function speechCost(d: Prices, input: string): MediaCost {
  return {
    costUsd: (countChars(input) * (d.prices.inputCharsPer1M ?? 0)) / 1e6,
    promptTokens: 0,
    completionTokens: 0,
  };
}

/** The end of the last cue of an SRT or WebVTT transcript, in seconds. */
function lastCueEnd(text: string): number | undefined {
  const at = text.lastIndexOf('-->');
  if (at < 0) return undefined;
  const m = /^\s*(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})/.exec(text.slice(at + 3, at + 40));
  if (!m) return undefined;
  return (
    Number(m[1] ?? 0) * 3600 +
    Number(m[2]) * 60 +
    Number(m[3]) +
    Number(m[4]!.padEnd(3, '0')) / 1000
  );
}

/**
 * The audio's length in seconds: the reply's `duration` (`verbose_json`) or `usage.seconds`, the
 * last cue of an `srt`/`vtt` reply, or a WAV file's header; undefined when none says.
 */
export function audioSeconds(
  form: TranscriptionForm,
  reply: UpstreamTranscript,
): number | undefined {
  const text = reply.body.toString('utf8');
  if (reply.contentType.includes('json')) {
    try {
      const parsed = JSON.parse(text) as { duration?: unknown; usage?: Record<string, unknown> };
      if (typeof parsed.duration === 'number') return parsed.duration;
      if (parsed.usage?.type === 'duration' && typeof parsed.usage.seconds === 'number')
        return parsed.usage.seconds;
    } catch {
      // Not JSON after all: judged below as text.
    }
  } else if (form.responseFormat === 'srt' || form.responseFormat === 'vtt') {
    const end = lastCueEnd(text);
    if (end !== undefined) return end;
  }
  return wavDurationSeconds(form.file.data);
}

/**
 * The tokens a JSON transcript reply reports (`usage.type: tokens`, gpt-4o-transcribe): input,
 * output, and of the input those its `input_token_details` count as audio.
 */
function transcriptTokens(reply: UpstreamTranscript): {
  input: number;
  output: number;
  audio: number;
} {
  const none = { input: 0, output: 0, audio: 0 };
  if (!reply.contentType.includes('json')) return none;
  try {
    const usage = (JSON.parse(reply.body.toString('utf8')) as { usage?: Record<string, unknown> })
      .usage;
    if (usage?.type !== 'tokens') return none;
    const details = usage.input_token_details as Record<string, unknown> | undefined;
    return {
      input: num(usage.input_tokens),
      output: num(usage.output_tokens),
      audio: num(details?.audio_tokens),
    };
  } catch {
    return none;
  }
}

/**
 * A transcript: its reported tokens at the token prices, or, for a reply that reports none or a
 * deployment without token prices, its minutes of audio at `perAudioMinute` (when known): OpenAI
 * bills a gpt-4o-transcribe call by its tokens (its per-minute figure is an estimate of them), so
 * a deployment priced both ways is charged once (until 2026-12-06 a WAV upload's minutes were
 * added to the tokens). Of the tokens, the
 * input's audio tokens (`input_token_details.audio_tokens`, within `input_tokens`) at
 * `audioInputPer1M` where the deployment has it: OpenAI bills them apart from text input
 * (gpt-4o-transcribe: audio $6, text $2.50, output $10 per 1M; gpt-4o-mini-transcribe: $3, $1.25,
 * $5; platform.openai.com/docs/pricing, "Transcription and speech generation", February 2026).
 * Without it, or for a reply that does not split its input, all input tokens cost `inputPer1M`.
 */
export function transcriptCost(
  d: Prices,
  form: TranscriptionForm,
  reply: UpstreamTranscript,
): MediaCost {
  const tokens = transcriptTokens(reply);
  const audioIn = inputPartCost(d.prices.audioInputPer1M, tokens.audio, tokens.input);
  const tokenPriced =
    d.prices.inputPer1M > 0 || d.prices.outputPer1M > 0 || (d.prices.audioInputPer1M ?? 0) > 0;
  const tokensBill = tokens.input + tokens.output > 0 && tokenPriced;
  const seconds = tokensBill ? 0 : (audioSeconds(form, reply) ?? 0);
  return {
    costUsd:
      audioMinutesCost(d, seconds) +
      tokenCost(d, tokens.input - audioIn.tokens, tokens.output) +
      audioIn.usd,
    promptTokens: tokens.input,
    completionTokens: tokens.output,
  };
}
