// Stop sequences on the simulated fleet (chat `stop`; an Anthropic client's `stop_sequences`
// arrive as it): the answer ends where a real model's would, before the first sequence it writes.

/** The request's stop sequences: chat's `stop`, a string or an array of strings. */
export function stopSequencesOf(stop: unknown): string[] {
  if (typeof stop === 'string') return stop ? [stop] : [];
  return Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string' && !!s) : [];
}

export interface StoppedPieces {
  pieces: string[];
  /** The sequence the answer stopped at; undefined when none was written. */
  matched?: string;
}

/**
 * The answer's pieces up to the first stop sequence in its text, which is left out (OpenAI's
 * rule). A model checks as it writes, so the first to be completed wins: the match that ends
 * first, the longer one on a tie. A piece the sequence starts in is cut there.
 */
export function cutAtStop(pieces: string[], stops: readonly string[]): StoppedPieces {
  if (stops.length === 0) return { pieces };
  const text = pieces.join('');
  let best: { start: number; end: number; stop: string } | undefined;
  for (const stop of stops) {
    const start = text.indexOf(stop);
    if (start < 0) continue;
    const end = start + stop.length;
    if (!best || end < best.end || (end === best.end && start < best.start))
      best = { start, end, stop };
  }
  if (!best) return { pieces };
  const kept: string[] = [];
  let at = 0;
  for (const piece of pieces) {
    if (at + piece.length <= best.start) kept.push(piece);
    else {
      if (best.start > at) kept.push(piece.slice(0, best.start - at));
      break;
    }
    at += piece.length;
  }
  return { pieces: kept, matched: best.stop };
}
