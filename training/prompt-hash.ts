// Telling prompts apart: duplicates by their trimmed, lower-cased text, and splits by a salted hash
// of it, so a prompt and its duplicates always land on the same side.
import { createHash } from 'node:crypto';

/** A prompt as duplicates are told apart: its text trimmed and lower-cased. */
export function promptKey(prompt: string): string {
  return prompt.trim().toLowerCase();
}

/** Salted hash of the prompt text in [0, 1): duplicates always land on the same side. */
export function promptHash(prompt: string, salt = 'model-router-split-v1'): number {
  const h = createHash('sha1').update(salt).update(promptKey(prompt)).digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export function splitByHash<T extends { prompt: string }>(
  rows: T[],
  testFraction: number,
  salt?: string,
): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  for (const r of rows) (promptHash(r.prompt, salt) < testFraction ? test : train).push(r);
  return { train, test };
}
