// Reading routing data: the shared JSONL line format (any models), with errors that name the file
// and line and say what to fix; what carries nothing is passed over with a note.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileReadReason } from '../src/core/file-read-reason.js';
import { sniffEncodedText } from '../src/core/text-encoding-sniff.js';
import { checkModelNumbers } from './check-model-numbers.js';
import { countOf } from './count-of.js';
import { DataError } from './data-error.js';

export interface DataRow {
  id: string;
  source: string;
  prompt: string;
  scores: Record<string, number>;
  costUsd?: Record<string, number>;
  outChars?: Record<string, number>;
  contaminated: boolean;
  /** The data file (its base name): the group whose scores are comparable. */
  group: string;
}

/**
 * The line numbers of `text` (`bytes` read as UTF-8) where a byte was not UTF-8 (a Latin-1 "é"),
 * which reading replaced with U+FFFD; none when the bytes are UTF-8 throughout.
 */
function linesNotUtf8(bytes: Buffer, text: string): number[] {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return [];
  } catch {
    const lines: number[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.includes('\ufffd')) lines.push(i + 1);
    });
    return lines;
  }
}

/**
 * What is wrong with a file that is not UTF-8 text at all (gzip, UTF-16 with or without a
 * byte-order mark), and how to convert it; undefined for text. Read as UTF-8 these would fail on
 * line 1 as "not valid JSON" with a garbled excerpt (`compare --prompts` says the same).
 */
export function notUtf8Text(file: string, bytes: Buffer): string | undefined {
  const sniffed = sniffEncodedText(bytes);
  if (sniffed?.kind === 'gzip') return `${file}: is gzip-compressed; decompress it first (gunzip)`;
  if (sniffed?.marked) return `${file}: is UTF-16 text; save it as UTF-8`;
  if (sniffed)
    return `${file}: is UTF-16 text (${sniffed.order}, without a byte-order mark); save it as UTF-8 (iconv -f ${sniffed.iconv} -t UTF-8)`;
  return undefined;
}

/**
 * Why line `i` (0-based) of `lines` did not parse, beyond JSON.parse's words: a NaN or a Python
 * value and how to write it, or a last line with no line break after it (a cut-off file); ''
 * when there is nothing to add. `wholeFile`: the file is not JSON Lines at all (one array,
 * pretty-printed), so its other lines need not be read. For `compare --prompts`, which reads the
 * same line format.
 */
export function unparsedLineHint(lines: string[], i: number): { text: string; wholeFile: boolean } {
  return notJsonLinesHint(lines, i, true);
}

/**
 * Loads one JSONL file; every malformed line is an error naming file and line. What the format
 * allows but carries nothing is passed over and told to `note` once per file: a null value (a
 * model with no score, cost or length there), a row no model has a score on (a judge that
 * graded none of the answers) and a row whose prompt is empty or only white space (nothing to
 * route on), which can neither train nor test a router. A UTF-8 byte-order mark
 * and Windows line ends are read through.
 */
export function loadRows(
  file: string,
  note: (message: string) => void = (m) => process.stderr.write(`note: ${m}\n`),
  /** Prompts only (`calibrate --background`): rows need no "scores", and keep theirs if any. */
  promptsOnly = false,
): DataRow[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read ${file}: ${fileReadReason(err)}`);
  }
  const encoding = notUtf8Text(file, bytes);
  if (encoding) throw new DataError(encoding);
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const notUtf8 = linesNotUtf8(bytes, text);
  if (notUtf8.length)
    note(
      `${file}: ${countOf(notUtf8.length, 'line')} ${notUtf8.length === 1 ? 'is' : 'are'} not valid UTF-8 (${notUtf8.length === 1 ? 'line' : 'lines'} ${notUtf8.slice(0, 5).join(', ')}${notUtf8.length > 5 ? ', …' : ''}): read with U+FFFD in place of the bytes that are not; a Latin-1 or Windows-1252 file reads as written once converted (iconv -f WINDOWS-1252 -t UTF-8)`,
    );
  const group = basename(file);
  const rows: DataRow[] = [];
  const nulls = { count: 0 };
  const unscored: number[] = [];
  const blank: number[] = [];
  const lines = text.split('\n');
  // Every bad line is reported, not only the first, so one run shows all there is to fix; a
  // file that is not JSON Lines at all (one array, pretty-printed) is said once, at once.
  const bad: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    try {
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(line) as Record<string, unknown>;
      } catch (err) {
        throw lineError(
          `${where}: not valid JSON (${(err as Error).message})`,
          notJsonLinesHint(lines, i, true),
        );
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw lineError(
          `${where}: each line must be a JSON object with "prompt" and "scores"`,
          notJsonLinesHint(lines, i, false),
        );
      if (raw.prompt === undefined)
        throw new DataError(
          `${where}: "prompt" is missing; it holds the user text (the first user turn)`,
        );
      if (typeof raw.prompt !== 'string')
        throw new DataError(
          `${where}: "prompt" must be a string (the user text), got ${Array.isArray(raw.prompt) ? 'an array: put the first user turn\'s text in "prompt" (a chat\'s messages are not read)' : JSON.stringify(raw.prompt)}`,
        );
      if (!raw.prompt.trim()) {
        blank.push(i + 1);
        continue;
      }
      if (raw.scores === undefined && !promptsOnly)
        throw new DataError(
          `${where}: "scores" is missing; it maps each model to its quality in [0, 1]`,
        );
      const scores =
        raw.scores == null && promptsOnly
          ? {}
          : checkModelNumbers(raw.scores, 'scores', where, nulls, 0, 1);
      if (Object.keys(scores).length === 0 && !promptsOnly) {
        unscored.push(i + 1);
        continue;
      }
      const costUsd =
        raw.cost_usd == null
          ? undefined
          : checkModelNumbers(raw.cost_usd, 'cost_usd', where, nulls, 0);
      const outChars =
        raw.out_chars == null
          ? undefined
          : checkModelNumbers(raw.out_chars, 'out_chars', where, nulls, 0);
      if (raw.source != null && typeof raw.source !== 'string')
        throw new DataError(
          `${where}: "source" must be a string (the collection/task, e.g. "mmlu/anatomy"), got ${JSON.stringify(raw.source)}; leave it out to use the file's name`,
        );
      const meta = (raw.meta ?? {}) as Record<string, unknown>;
      rows.push({
        id:
          typeof raw.id === 'string' || typeof raw.id === 'number'
            ? String(raw.id)
            : `${group}:${i + 1}`,
        // An empty source is no source: the file's name, as when the field is left out.
        source: typeof raw.source === 'string' && raw.source.trim() ? raw.source : group,
        prompt: raw.prompt,
        scores,
        costUsd,
        outChars,
        contaminated: meta.routellm_contaminated === true,
        group,
      });
    } catch (err) {
      if (!(err instanceof DataError) || err instanceof NotJsonLines) throw err;
      bad.push(err.message);
    }
  }
  if (bad.length) throw new DataError(badLinesMessage(file, bad));
  if (nulls.count)
    note(
      `${file}: ${countOf(nulls.count, 'null value')} in "scores", "cost_usd" or "out_chars" read as not given for that model`,
    );
  if (unscored.length) note(`${file}: ${passedOver(unscored, 'with no model scored')}`);
  if (blank.length) note(`${file}: ${passedOver(blank, 'with an empty prompt')}`);
  // An empty file (or only blank lines): said so, not as "no rows", which reads as though rows
  // were there and refused.
  if (rows.length === 0 && !text.trim())
    throw new DataError(`${file}: is empty; the data is JSON Lines, one scored prompt a line`);
  if (rows.length === 0)
    throw new DataError(
      `${file}: no rows${unscored.length ? ' with a score (each needs at least one model\'s score in "scores")' : blank.length ? ' with a prompt' : ''}`,
    );
  return rows;
}

/** Bad lines listed in the error about a file; the rest are counted. */
const MAX_BAD_LINES_SHOWN = 10;

/**
 * The error about a file's bad lines (each message names its `file:line` and what to fix): one
 * alone as it is, several as a count and the first ten, then how many more. `compare --prompts`
 * says its bad lines the same way.
 */
export function badLinesMessage(file: string, bad: readonly string[]): string {
  if (bad.length === 1) return bad[0]!;
  const shown = bad.slice(0, MAX_BAD_LINES_SHOWN).map((m) => `  ${m}`);
  if (bad.length > MAX_BAD_LINES_SHOWN)
    shown.push(`  … and ${bad.length - MAX_BAD_LINES_SHOWN} more`);
  return `${file}: ${bad.length} bad lines; fix each and run again:\n${shown.join('\n')}`;
}

/** The whole file is not JSON Lines: said once, not for each of its lines. */
class NotJsonLines extends DataError {}

/** A line's error, with `notJsonLinesHint`'s hint; a hint about the whole file stops the read. */
function lineError(message: string, hint: { text: string; wholeFile: boolean }): DataError {
  return hint.wholeFile
    ? new NotJsonLines(`${message}${hint.text}`)
    : new DataError(`${message}${hint.text}`);
}

/**
 * What to do when the file is not JSON Lines at all, judged from line `i` (0-based): one JSON
 * array (`[` on the first line), or pretty-printed JSON (a line that is only `{` or `[`); or,
 * for a line that does not parse (`unparsed`) and is the file's last with no line break after
 * it, that the file may have been cut off.
 */
function notJsonLinesHint(
  lines: string[],
  i: number,
  unparsed: boolean,
): { text: string; wholeFile: boolean } {
  const line = lines[i]!.trim();
  if (line.startsWith('[') && !lines.slice(0, i).some((l) => l.trim()))
    return {
      text: ': the file looks like one JSON array; the format is JSON Lines, one object a line (`jq -c ".[]"` converts it)',
      wholeFile: true,
    };
  if (line === '{' || line === '[')
    return {
      text: ': the file looks pretty-printed; the format is JSON Lines, each object whole on one line (`jq -c .` converts it)',
      wholeFile: true,
    };
  const written = unparsed ? notJsonWriting(line) : undefined;
  if (written) return { text: written, wholeFile: false };
  if (unparsed && i === lines.length - 1)
    return {
      text: ': it is the last line and the file does not end with a line break; was the file cut off?',
      wholeFile: false,
    };
  return { text: '', wholeFile: false };
}

/**
 * What a line that does not parse was likely written by, and how to write it: Python's
 * `json.dumps` writes a float nan or inf as NaN / Infinity, which JSON has not (JSON.parse's own
 * message names only "Unexpected token 'N'"), and `str()` of a dict writes single quotes and
 * None / True / False.
 */
function notJsonWriting(line: string): string | undefined {
  const number = /[:,[]\s*(-?Infinity|NaN)\s*[,}\]]/.exec(line);
  if (number)
    return `: ${number[1]} is no JSON value (Python's json.dumps writes it for a float nan or inf); write null where a model has no score, else a number`;
  const python = /[:,[]\s*(None|True|False)\s*[,}\]]/.exec(line);
  if (python)
    return `: ${python[1]} is Python, not JSON (null, true, false); write each row with json.dumps, not str()`;
  if (/^\{\s*'/.test(line))
    return ': JSON names and strings take double quotes, not single (a Python dict written with str()?); write each row with json.dumps';
  return undefined;
}

/** "3 rows <why> passed over (lines 2, 5, 9)", at most five line numbers. */
function passedOver(lines: number[], why: string): string {
  const list = `${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}`;
  return `${countOf(lines.length, 'row')} ${why} passed over (${lines.length === 1 ? 'line' : 'lines'} ${list})`;
}
