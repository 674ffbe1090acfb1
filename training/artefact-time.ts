// When an artefact was made: its version when none is given, and its `createdAt`, the same for the
// same inputs so that a seed's artefact is the same file byte for byte.
import { statSync } from 'node:fs';

/** An artefact's version when none is given: today's date (UTC), as the models folder names them. */
export function todaysVersion(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * `train`'s `createdAt`, the same for the same inputs, so a seed's artefact is the same file byte
 * for byte without SOURCE_DATE_EPOCH: SOURCE_DATE_EPOCH's time when set; else the date `version`
 * starts with (models/2026-12-05.json is version 2026-12-05: the date a router's `latest` orders
 * by), at 00:00 UTC; else the newest modification time of `inputs` (the data and price files), to
 * the second. Not the wall clock: a retraining to check a file would differ in this field alone.
 */
export function trainingTime(version: string, inputs: readonly string[]): string {
  if (process.env.SOURCE_DATE_EPOCH !== undefined) return artefactTime();
  const dated = /^(\d{4}-\d{2}-\d{2})/.exec(version)?.[1];
  const day = dated === undefined ? NaN : Date.parse(`${dated}T00:00:00.000Z`);
  if (Number.isFinite(day)) return new Date(day).toISOString();
  const newest = Math.max(...inputs.map((f) => Math.floor(statSync(f).mtimeMs / 1000) * 1000));
  return Number.isFinite(newest) ? new Date(newest).toISOString() : artefactTime();
}

/**
 * When an artefact is written: now, or SOURCE_DATE_EPOCH's time when it is set (seconds, the
 * reproducible-builds convention), so a seed's artefact is the same file byte for byte.
 */
export function artefactTime(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch.trim()))
    return new Date(Number(epoch.trim()) * 1000).toISOString();
  return new Date().toISOString();
}
