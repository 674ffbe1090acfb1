// PII detectors: email, phone, payment card (validated with the Luhn checksum so order numbers and
// timestamps are not taken for cards), US social security number (the SSA's never-issued areas,
// groups and serials left out), IBAN (ISO 13616 mod-97 checksum), IP address (v4 and v6, checked
// by node:net) and secrets: credentials in the well-known formats of the major providers, JSON
// web tokens and PEM private keys. Compiled once at load (STYLE.md: no per-request regex).
import { isIPv4, isIPv6 } from 'node:net';

export const PII_KINDS = ['email', 'phone', 'card', 'ssn', 'iban', 'ip', 'secret'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export interface PiiDetector {
  kind: PiiKind;
  pattern: RegExp;
  /** Extra check on a candidate match. */
  accept?(match: string): boolean;
}

// Starts only where a run of local-part characters starts: tried from every character of a long
// run, each attempt scanning to the run's end for an `@`, a prompt of 100 KB of letters took ~10 s
// of the event loop (quadratic); from the run's start alone the scan is linear.
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// A separator or brackets are required so plain long numbers are not phones.
// Not part of a longer run of digit groups (that is a card or an id, not a phone).
const PHONE =
  /(?<![\w+]|\d[\s.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?![\s.-]?\d|\w)/g;
const CARD = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;
// Written with dashes or spaces (nine bare digits are too often something else); area 000, 666
// and 900–999, group 00 and serial 0000 are never issued.
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g;
// Country, check digits, then 11–30 letters and digits: unbroken, or in groups of four as printed.
const IBAN = /\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)\b/g;
const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]*\d)/g;
// Candidates with at least two colons, not inside a word (`std::vector`) or a longer run.
// …with hex on both sides of a colon (`::` alone, or `::1`, say nothing about anyone).
// The two colons are looked for within the 45 characters an address can have: a lookahead over
// the whole run was tried after every `.` of a long `a.a.a…` run, quadratic in its length.
const IPV6_GROUPS = /[0-9A-Fa-f]{1,4}:.*[0-9A-Fa-f]/;
const IPV6 = /(?<![\w:])(?=(?:[0-9A-Fa-f.]{0,44}:){2})[0-9A-Fa-f:.]{3,45}(?![\w:])/g;
// One alternative a provider: OpenAI and Anthropic (`sk-`, `sk-proj-`, `sk-ant-`), AWS access key
// ids, GitHub tokens, Slack tokens, Google API keys, Stripe keys, this router's own keys (`mr-`),
// JSON web tokens, and PEM private keys (a JWT matches from its payload's start and a PEM key from
// its header, so a stream holds a long one back as it grows instead of sending its start).
const SECRET = new RegExp(
  [
    String.raw`\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-|admin-)?[A-Za-z0-9_-]{20,}`,
    String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
    String.raw`\bgh[pousr]_[A-Za-z0-9]{36,}\b`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{22,}`,
    String.raw`\bxox[abposr]-[A-Za-z0-9-]{10,}`,
    String.raw`\bAIza[0-9A-Za-z_-]{35}`,
    String.raw`\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}`,
    String.raw`\bmr-[A-Za-z0-9_-]{40,}`,
    // From the payload's start on, so a stream holds a long token back as it grows.
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?`,
    String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s]*(?:-----END [A-Z ]*PRIVATE KEY-----)?`,
  ].join('|'),
  'g',
);

export const PII_DETECTORS: Record<PiiKind, PiiDetector> = {
  email: { kind: 'email', pattern: EMAIL },
  card: { kind: 'card', pattern: CARD, accept: (m) => luhnValid(m.replace(/\D/g, '')) },
  phone: { kind: 'phone', pattern: PHONE },
  ssn: { kind: 'ssn', pattern: SSN },
  iban: { kind: 'iban', pattern: IBAN, accept: (m) => ibanValid(m.replace(/ /g, '')) },
  ip: {
    kind: 'ip',
    pattern: new RegExp(`${IPV4.source}|${IPV6.source}`, 'g'),
    // A candidate is an address only if node:net reads it as one (999.1.1.1 and 12:30:45 are not).
    accept: (m) => isIPv4(m) || (isIPv6(m) && IPV6_GROUPS.test(m)),
  },
  secret: { kind: 'secret', pattern: SECRET },
};

/** ISO 13616: move the first four characters to the end, letters to 10–35, mod 97 must be 1. */
export function ibanValid(iban: string): boolean {
  if (iban.length < 15 || iban.length > 34) return false;
  let rest = 0;
  for (const ch of iban.slice(4) + iban.slice(0, 4)) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48;
    rest = (value >= 10 ? rest * 100 + value : rest * 10 + value) % 97;
  }
  return rest === 1;
}

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
  return (PII_KINDS as readonly string[]).includes(s);
}
