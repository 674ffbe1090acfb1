// The simulated fleet's image, speech and transcription models, with no dependency and no
// network: a small PNG whose colours derive from the prompt (made here with node:zlib), a WAV of a
// tone whose length follows the text (60 ms a character), and a transcript that says plainly it is
// fake and which file it heard (its name, size and a hash of its bytes). Equal requests, equal
// replies.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { wavDurationSeconds } from '../../core/wav-duration.js';
import type { FormPart, ImagesReply } from '../../core/wire-types.js';

/** The simulated image's side, in pixels, whatever `size` asked (the reply's `size` says it). */
export const SIMULATED_IMAGE_SIDE = 64;
/** Speech: 8 kHz, 16-bit, mono PCM, 60 ms of tone per input character. */
export const SPEECH_SAMPLE_RATE = 8_000;
export const SPEECH_MS_PER_CHAR = 60;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309), as PNG chunks carry it (node:zlib's crc32 needs Node 22). */
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A 64×64 RGB PNG (PNG spec §11: IHDR, one IDAT, IEND) for `prompt` and image `index`: a diagonal
 * gradient between two colours taken from a hash of them.
 */
export function simulatedPng(prompt: string, index: number): Buffer {
  const h = createHash('sha256').update(`${index}\u0000${prompt}`).digest();
  const side = SIMULATED_IMAGE_SIDE;
  const raw = Buffer.alloc(side * (1 + side * 3));
  for (let y = 0; y < side; y++) {
    const row = y * (1 + side * 3);
    raw[row] = 0; // filter type None
    for (let x = 0; x < side; x++) {
      const t = (x + y) / (2 * (side - 1));
      for (let ch = 0; ch < 3; ch++)
        raw[row + 1 + x * 3 + ch] = Math.round(h[ch]! * (1 - t) + h[3 + ch]! * t);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * An images reply of `n` PNGs for `seed` (the prompt, or what an edit or variation was given), as
 * `b64_json`, or as `data:` URLs for `url` (there is no server to fetch a simulated image from).
 */
export function simulatedImagesReply(
  seed: string,
  n: number,
  format: 'b64_json' | 'url',
  createdSec: number,
): ImagesReply {
  const data = Array.from({ length: n }, (_, i) => {
    const b64 = simulatedPng(seed, i).toString('base64');
    return format === 'url' ? { url: `data:image/png;base64,${b64}` } : { b64_json: b64 };
  });
  const side = `${SIMULATED_IMAGE_SIDE}x${SIMULATED_IMAGE_SIDE}`;
  return { created: createdSec, data, output_format: 'png', size: side, quality: 'low' };
}

/**
 * A hash of a form's files (field and bytes, in order), or of a JSON edit's image references
 * (URLs, data URLs, file ids): what an edit's images were.
 */
export function formFilesDigest(form: {
  parts: readonly FormPart[];
  json?: Record<string, unknown>;
}): string {
  const h = createHash('sha256');
  if (form.json) h.update(JSON.stringify([form.json.images, form.json.mask ?? null]));
  for (const p of form.parts)
    if ('file' in p) h.update(`${p.name}\u0000${p.file.data.length}\u0000`).update(p.file.data);
  return h.digest('hex');
}

/** A RIFF/WAVE header for `dataBytes` of 16-bit mono PCM at `rate` Hz. */
export function wavHeader(dataBytes: number, rate = SPEECH_SAMPLE_RATE): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Bytes of PCM per piece the simulated speech is sent in (a quarter second). */
const PIECE_BYTES = SPEECH_SAMPLE_RATE / 2;

/**
 * Speech for `text`: a WAV (or with `pcm`, its bare samples) of a soft tone, 60 ms a character,
 * sent in pieces as a streaming upstream would; its pitch derives from the voice.
 */
export async function* simulatedSpeech(
  text: string,
  voice: string,
  format: 'wav' | 'pcm',
): AsyncGenerator<Buffer> {
  const samples = Math.round((text.length * SPEECH_MS_PER_CHAR * SPEECH_SAMPLE_RATE) / 1000);
  const pitch = 220 + (createHash('sha256').update(voice).digest()[0]! % 8) * 55;
  if (format === 'wav') yield wavHeader(samples * 2);
  for (let start = 0; start < samples; start += PIECE_BYTES / 2) {
    const n = Math.min(PIECE_BYTES / 2, samples - start);
    const piece = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) {
      const s = Math.sin((2 * Math.PI * pitch * (start + i)) / SPEECH_SAMPLE_RATE);
      piece.writeInt16LE(Math.round(s * 3000), i * 2);
    }
    yield piece;
  }
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

/** What the simulated model "heard": a fake text naming the file, and the audio's length. */
export function simulatedTranscript(
  file: { filename: string; data: Buffer },
  translate: boolean,
): { text: string; seconds: number; language: string } {
  const digest = createHash('sha256').update(file.data).digest();
  // WAV: its real length; anything else: as if it were 128 kbit/s audio.
  const seconds = wavDurationSeconds(file.data) ?? file.data.length / 16_000;
  const words = [...digest.subarray(0, 4)].map((b) => WORDS[b % WORDS.length]!);
  const text =
    `Simulated ${translate ? 'translation' : 'transcript'} of ${file.filename} ` +
    `(${file.data.length} bytes, sha256 ${digest.toString('hex').slice(0, 12)}): ${words.join(' ')}.`;
  return { text, seconds: Math.round(seconds * 1000) / 1000, language: 'english' };
}

/** `s` seconds as an SRT (`00:00:01,500`) or WebVTT (`00:00:01.500`) timestamp. */
function timestamp(s: number, separator: ',' | '.'): string {
  const ms = Math.round(s * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** The transcript in `format` (OpenAI's `response_format`): its body and content type. */
export function formatTranscript(
  t: { text: string; seconds: number; language: string },
  format: string,
  translate: boolean,
): { body: string; contentType: string } {
  const end = Math.max(t.seconds, 0.001);
  if (format === 'text') return { body: `${t.text}\n`, contentType: 'text/plain; charset=utf-8' };
  if (format === 'srt')
    return {
      body: `1\n${timestamp(0, ',')} --> ${timestamp(end, ',')}\n${t.text}\n\n`,
      contentType: 'text/plain; charset=utf-8',
    };
  if (format === 'vtt')
    return {
      body: `WEBVTT\n\n${timestamp(0, '.')} --> ${timestamp(end, '.')}\n${t.text}\n\n`,
      contentType: 'text/vtt; charset=utf-8',
    };
  const usage = { type: 'duration', seconds: Math.ceil(t.seconds) };
  const json =
    format === 'verbose_json'
      ? {
          task: translate ? 'translate' : 'transcribe',
          language: t.language,
          duration: t.seconds,
          text: t.text,
          segments: [
            {
              id: 0,
              seek: 0,
              start: 0,
              end: t.seconds,
              text: t.text,
              tokens: [],
              temperature: 0,
              avg_logprob: -0.1,
              compression_ratio: 1,
              no_speech_prob: 0,
            },
          ],
          usage,
        }
      : { text: t.text, usage };
  return { body: JSON.stringify(json), contentType: 'application/json' };
}
