// What the router can count of a realtime response that never reached its `response.done`
// (realtime-cost.ts stoppedResponseCost): the audio the client appended and the upstream
// committed, and the output deltas the client was sent, in tokens, by OpenAI's audio token rates.
import { isObject } from '../core/is-object.js';

/**
 * Audio tokens a second: 10 of input (a token per 100 ms) and 20 of output (per 50 ms), as
 * OpenAI's guide to Realtime costs counts them ("1 token per 100 ms of audio" in user messages,
 * "1 token per 50ms" in assistant messages: developers.openai.com/api/docs/guides/realtime-costs);
 * at the launch prices, $100 and $200 per 1M, $0.06 and $0.24 a minute.
 */
export const INPUT_AUDIO_TOKENS_PER_SECOND = 10;
export const OUTPUT_AUDIO_TOKENS_PER_SECOND = 20;

/** PCM16 mono at 24 kHz, the Realtime API's default format both ways. */
const PCM16_BYTES_PER_SECOND = 48_000;
/** The PCM sample rates (Hz) taken as stated: telephony's 8 kHz to 48 kHz. */
const MIN_PCM_RATE = 8000;
const MAX_PCM_RATE = 48_000;

/** The audio of a session's two directions, bytes a second (session.created/updated). */
export interface RealtimeAudioRates {
  input: number;
  output: number;
}

export const DEFAULT_AUDIO_RATES: RealtimeAudioRates = {
  input: PCM16_BYTES_PER_SECOND,
  output: PCM16_BYTES_PER_SECOND,
};

/**
 * Bytes a second of a format as the session states it: beta's `pcm16`, `g711_ulaw`, `g711_alaw`;
 * GA's `{type: 'audio/pcm', rate}`, `audio/pcmu`, `audio/pcma` (G.711: 8 kHz, a byte a sample).
 * undefined for a format it does not name, or a PCM rate outside 8–48 kHz (OpenAI takes only
 * 24 kHz; a `response.create`'s own format is the client's word, and a rate near 0 would count
 * its audio as endless tokens).
 */
function bytesPerSecond(format: unknown): number | undefined {
  const type = isObject(format) ? format.type : format;
  if (type === 'pcm16') return PCM16_BYTES_PER_SECOND;
  if (type === 'audio/pcm') {
    const rate = isObject(format) && typeof format.rate === 'number' ? format.rate : 24_000;
    return rate >= MIN_PCM_RATE && rate <= MAX_PCM_RATE ? rate * 2 : undefined;
  }
  if (['g711_ulaw', 'g711_alaw', 'audio/pcmu', 'audio/pcma'].includes(type as string)) return 8000;
  return undefined;
}

/**
 * The rates a `session.created` / `session.updated` session states, over `rates`; also a
 * `response.create`'s own output format (its `response` states it in the same fields).
 */
export function audioRatesOf(session: unknown, rates: RealtimeAudioRates): RealtimeAudioRates {
  if (!isObject(session)) return rates;
  const audio = isObject(session.audio) ? session.audio : {};
  const input = isObject(audio.input) ? audio.input.format : session.input_audio_format;
  const output = isObject(audio.output) ? audio.output.format : session.output_audio_format;
  return {
    input: bytesPerSecond(input) ?? rates.input,
    output: bytesPerSecond(output) ?? rates.output,
  };
}

/** Bytes of base64 audio, without decoding it; 0 for anything else. */
export function base64Bytes(audio: unknown): number {
  return typeof audio === 'string' ? Buffer.byteLength(audio, 'base64') : 0;
}

/** Audio tokens of `bytes` at `bytesPerSecond` and `tokensPerSecond`, rounded up. */
export function audioTokens(
  bytes: number,
  bytesPerSecond: number,
  tokensPerSecond: number,
): number {
  return bytes > 0 ? Math.ceil((bytes / bytesPerSecond) * tokensPerSecond) : 0;
}

/** What a response sent the client so far: text (as characters) and audio (as bytes). */
export interface RealtimeOutput {
  textChars: number;
  audioBytes: number;
}

/** Output deltas of text: its answer, its audio's transcript, a function call's arguments. */
const TEXT_DELTAS: ReadonlySet<string> = new Set([
  'response.text.delta',
  'response.output_text.delta',
  'response.audio_transcript.delta',
  'response.output_audio_transcript.delta',
  'response.function_call_arguments.delta',
]);
const AUDIO_DELTAS: ReadonlySet<string> = new Set([
  'response.audio.delta',
  'response.output_audio.delta',
]);

/** Adds an upstream delta event to `output`; false for an event that is no output delta. */
export function noteOutputDelta(output: RealtimeOutput, event: Record<string, unknown>): boolean {
  const type = event.type as string;
  if (TEXT_DELTAS.has(type)) {
    if (typeof event.delta === 'string') output.textChars += event.delta.length;
    return true;
  }
  if (AUDIO_DELTAS.has(type)) {
    output.audioBytes += base64Bytes(event.delta);
    return true;
  }
  return false;
}
