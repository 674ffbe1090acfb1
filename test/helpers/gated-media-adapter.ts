// An image, speech and transcription upstream that holds every call until the test releases it
// (or the call is aborted): requests are caught in flight together, with no sleeps. Images answer
// `n` tiny images with no token usage (nor quality); speech sends its first piece of audio, then
// holds the rest behind the gate; a transcript is JSON with no duration. `failWith` makes
// released calls fail.
import type { ImagesReply } from '../../src/core/wire-types.js';
import type { ProviderAdapter, UpstreamAudio } from '../../src/providers/types.js';

export interface GatedMediaAdapter extends ProviderAdapter {
  /** Calls that reached the upstream, and calls aborted there (the client left). */
  calls: number;
  aborted: number;
  /** Resolves when the next call has reached the upstream (speech: sent its first piece). */
  reached(): Promise<void>;
  /** Lets every held call (and every later one) go on. */
  release(): void;
  /** Held calls fail with this once released, instead of answering. */
  failWith?: Error;
}

export function gatedMediaAdapter(): GatedMediaAdapter {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached: (() => void) | undefined;
  let reachedNext = new Promise<void>((r) => (reached = r));
  const arrive = () => {
    reached?.();
    reachedNext = new Promise<void>((r) => (reached = r));
  };
  const hold = async (signal: AbortSignal) => {
    await Promise.race([
      gate,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
    if (adapter.failWith) throw adapter.failWith;
  };
  const enter = (signal: AbortSignal) => {
    adapter.calls++;
    signal.addEventListener('abort', () => adapter.aborted++, { once: true });
  };
  const images = async (n: unknown, signal: AbortSignal) => {
    enter(signal);
    arrive();
    await hold(signal);
    const count = typeof n === 'number' ? n : 1;
    const response = {
      created: 1,
      data: Array.from({ length: count }, () => ({ b64_json: 'iVBORw0KGgo=' })),
    } as ImagesReply;
    return { response, headers: {} };
  };
  const adapter: GatedMediaAdapter = {
    calls: 0,
    aborted: 0,
    reached: () => reachedNext,
    release: () => release(),
    chat() {
      throw new Error('a media upstream serves no chat');
    },
    chatStream() {
      throw new Error('a media upstream serves no chat');
    },
    generateImages: (req) => images(req.body.n, req.signal),
    editImages: (req) => images(req.body.n, req.signal),
    createImageVariations: (req) => images(req.body.n, req.signal),
    async speak(req): Promise<UpstreamAudio> {
      enter(req.signal);
      const signal = req.signal;
      async function* audio(): AsyncGenerator<Buffer> {
        yield Buffer.from('first piece ');
        arrive();
        await hold(signal);
        yield Buffer.from('the rest');
      }
      return { audio: audio(), contentType: 'audio/mpeg', headers: {} };
    },
    async transcribe(req) {
      enter(req.signal);
      arrive();
      await hold(req.signal);
      return {
        body: Buffer.from(JSON.stringify({ text: 'held' })),
        contentType: 'application/json',
        headers: {},
      };
    },
  };
  return adapter;
}
