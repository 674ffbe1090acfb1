// What an image, speech or transcription call cost, from the deployment's prices: per image (by
// quality and size), per 1M characters spoken, per minute of audio heard, plus the token prices
// for a reply that reports token usage (gpt-image-1, gpt-4o-mini-tts, gpt-4o-transcribe), an
// image model's input image tokens at their own price (`imageInputPer1M`) when it has one.
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
  const per1M = d.prices.imageInputPer1M;
  if (per1M === undefined || !usage) return { tokens: 0, usd: 0 };
  const details = usage.input_tokens_details as Record<string, unknown> | undefined;
  const tokens = Math.min(num(details?.image_tokens), num(usage.input_tokens));
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

/** The tokens a JSON transcript reply reports (`usage.type: tokens`, gpt-4o-transcribe). */
function transcriptTokens(reply: UpstreamTranscript): { input: number; output: number } {
  if (!reply.contentType.includes('json')) return { input: 0, output: 0 };
  try {
    const usage = (JSON.parse(reply.body.toString('utf8')) as { usage?: Record<string, unknown> })
      .usage;
    if (usage?.type !== 'tokens') return { input: 0, output: 0 };
    return { input: num(usage.input_tokens), output: num(usage.output_tokens) };
  } catch {
    return { input: 0, output: 0 };
  }
}

/** A transcript: its minutes of audio at `perAudioMinute` (when known), plus reported tokens. */
export function transcriptCost(
  d: Prices,
  form: TranscriptionForm,
  reply: UpstreamTranscript,
): MediaCost {
  const seconds = audioSeconds(form, reply) ?? 0;
  const tokens = transcriptTokens(reply);
  return {
    costUsd: audioMinutesCost(d, seconds) + tokenCost(d, tokens.input, tokens.output),
    promptTokens: tokens.input,
    completionTokens: tokens.output,
  };
}
