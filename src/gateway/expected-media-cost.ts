// What an image, speech or transcription call may cost, judged before it is sent, for the budget
// reservation admission makes (governance-policies.ts): the dearest its deployment's prices allow
// for what the request asks, so requests running at once are held to a budget together.
// Images: `n` images, each at the dearer of the dearest per-image price its quality and size may
// take (the reply's own when the request leaves them out or says `auto`) and, for a GPT image
// model, its documented output tokens at the output price (media-cost.ts charges one or the other,
// as the reply reports tokens or not), plus the prompt at the input price (the input images of an
// edit are not counted: their tokens are known only from the reply). Speech: the text's
// characters at `inputCharsPer1M`, what media-cost.ts charges. A transcription: a WAV file's
// minutes (from its header) at `perAudioMinute`; any other audio's length is known only from the
// reply, so it reserves nothing.
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { TranscriptionForm } from '../core/wire-types.js';
import { wavDurationSeconds } from '../core/wav-duration.js';
import { inputCostUsd } from './cost.js';
import { imageFamily } from './image-options.js';
import { audioMinutesCost, imagePrice, speechCost } from './media-cost.js';

type Priced = Pick<DeploymentConfig, 'prices' | 'model'>;

/** The image fields the estimate reads (generations' body, or an edit's or variation's form). */
export interface ImageAsk {
  n?: unknown;
  quality?: unknown;
  size?: unknown;
}

/** A field the request fixed, or undefined when it left it to the model (`auto`, or none). */
const fixed = (v: unknown) => (typeof v === 'string' && v !== 'auto' ? v : undefined);

const SIZE_SHAPE = /^\d+x\d+$/;

/**
 * The dearest one image may cost at `d`'s per-image prices: the price media-cost.ts's imagePrice
 * takes when quality and size are both fixed, else the most of `perImage` and every `perImageBy`
 * entry that does not contradict a field the request fixed.
 */
export function dearestImagePrice(d: Pick<DeploymentConfig, 'prices'>, ask: ImageAsk): number {
  const quality = fixed(ask.quality);
  const size = fixed(ask.size);
  const by = d.prices.perImageBy ?? {};
  if (quality !== undefined && size !== undefined) return imagePrice(d, quality, size);
  let most = d.prices.perImage ?? 0;
  for (const [key, price] of Object.entries(by)) {
    const [q, s] = key.includes('/')
      ? key.split('/', 2)
      : SIZE_SHAPE.test(key)
        ? [undefined, key]
        : [key, undefined];
    const fits =
      (q === undefined || quality === undefined || q === quality) &&
      (s === undefined || size === undefined || s === size);
    if (fits && price > most) most = price;
  }
  return most;
}

/**
 * The most output tokens one image may bill on a model whose family has OpenAI's counts (the
 * GPT image models), over the qualities and sizes the request left open; 0 for any other.
 */
export function imageOutputTokens(model: string, ask: ImageAsk): number {
  const table = imageFamily(model)?.outputTokens;
  if (!table) return 0;
  const quality = fixed(ask.quality);
  const size = fixed(ask.size);
  let most = 0;
  for (const [q, sizes] of Object.entries(table))
    if (quality === undefined || q === quality)
      for (const [s, tokens] of Object.entries(sizes))
        if ((size === undefined || s === size) && tokens > most) most = tokens;
  return most;
}

/** USD `n` images may cost on `d`: see the file's comment. */
export function expectedImagesCostUsd(d: Priced, ask: ImageAsk, promptTokens: number): number {
  const n = typeof ask.n === 'number' && Number.isInteger(ask.n) && ask.n > 1 ? ask.n : 1;
  const perImage = Math.max(
    dearestImagePrice(d, ask),
    (imageOutputTokens(d.model, ask) * d.prices.outputPer1M) / 1e6,
  );
  return n * perImage + inputCostUsd(d, promptTokens);
}

/** USD speaking `input` costs on `d`: its characters at `inputCharsPer1M`, as it is charged. */
export function expectedSpeechCostUsd(d: Pick<DeploymentConfig, 'prices'>, input: string): number {
  return speechCost(d, input).costUsd;
}

/** USD a transcription of `form`'s file may cost on `d`: a WAV's minutes; 0 for other audio. */
export function expectedTranscriptCostUsd(
  d: Pick<DeploymentConfig, 'prices'>,
  form: TranscriptionForm,
): number {
  const seconds = wavDurationSeconds(form.file.data) ?? 0;
  return audioMinutesCost(d, seconds);
}
