// The numeric options of the training commands (train, eval, calibrate) read one way: a value that
// is not a number, or is out of range, is a DataError naming the option, what it takes and what was
// given, never a NaN or a silently wrong figure (`Number('abc')` routes everything to one model).
import { BAND_RANGE } from '../src/config/schema.js';
import { DataError } from './data-error.js';

/** What an option takes: a whole number or any finite number, and its bounds. */
export interface NumberRule {
  integer?: boolean;
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** How the option's value reads in the message, e.g. "a band" or "epochs". */
  what: string;
  /** An example value, shown in the message. */
  example: string;
}

/** `--name`'s value as a number within `rule`; undefined when the option was not given. */
export function numberOption(
  name: string,
  raw: string | undefined,
  rule: NumberRule,
): number | undefined {
  if (raw === undefined) return undefined;
  // Number('') and Number('  ') are 0: an empty value is a mistake, not zero.
  const n = raw.trim() === '' ? NaN : Number(raw);
  const inRange =
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.above === undefined || n > rule.above) &&
    (rule.max === undefined || n <= rule.max);
  if (inRange) return n;
  const bounds = [
    rule.min !== undefined ? `≥ ${rule.min}` : undefined,
    rule.above !== undefined ? `> ${rule.above}` : undefined,
    rule.max !== undefined ? `≤ ${rule.max}` : undefined,
  ].filter(Boolean);
  const kind = rule.integer ? 'a whole number' : 'a number';
  throw new DataError(
    `--${name} must be ${kind}${bounds.length ? ` ${bounds.join(' and ')}` : ''} (${rule.what}, e.g. ${rule.example}), got "${raw}"`,
  );
}

/**
 * `--seed`: a whole number from 0 to 2^32 − 1, the range the seeded generator (core/prng.ts)
 * tells apart; larger seeds would repeat smaller ones' samples, and "abc" would train as NaN.
 */
export function seedOption(raw: string | undefined): number {
  return (
    numberOption('seed', raw, {
      integer: true,
      min: 0,
      max: 2 ** 32 - 1,
      what: 'the seed of every sample and split',
      example: '1',
    }) ?? 1
  );
}

/** `--epochs`: AdaGrad's passes over the prompts (with L-BFGS it only paces the progress bar). */
export function epochsOption(raw: string | undefined): number | undefined {
  return numberOption('epochs', raw, {
    integer: true,
    min: 1,
    what: 'AdaGrad epochs',
    example: '8',
  });
}

/**
 * `eval --balanced-band` / `--cost-band`: a band to evaluate instead of the calibrated one, in the
 * range a router deployment's `bands` takes in config.
 */
export function bandOption(name: string, raw: string | undefined): number | undefined {
  return numberOption(name, raw, {
    ...BAND_RANGE,
    what: "a band, as config's bands",
    example: '0.95',
  });
}
