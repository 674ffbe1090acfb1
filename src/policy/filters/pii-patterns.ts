// PII detectors: email, phone, payment card (validated with the Luhn checksum so order numbers and
// timestamps are not taken for cards). Compiled once at load (STYLE.md: no per-request regex).
export type PiiKind = 'email' | 'phone' | 'card';

export interface PiiDetector {
  kind: PiiKind;
  pattern: RegExp;
  /** Extra check on a candidate match. */
  accept?(match: string): boolean;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// A separator or brackets are required so plain long numbers are not phones.
// Not part of a longer run of digit groups (that is a card or an id, not a phone).
const PHONE =
  /(?<![\w+]|\d[\s.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\s.-]?\d|\w)/g;
const CARD = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;

export const PII_DETECTORS: Record<PiiKind, PiiDetector> = {
  email: { kind: 'email', pattern: EMAIL },
  card: { kind: 'card', pattern: CARD, accept: (m) => luhnValid(m.replace(/\D/g, '')) },
  phone: { kind: 'phone', pattern: PHONE },
};

/** Luhn checksum over 13–19 digits (ISO/IEC 7812). */
export function luhnValid(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export function isPiiKind(s: string): s is PiiKind {
  return s === 'email' || s === 'phone' || s === 'card';
}
