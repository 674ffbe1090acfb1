// Lines written by common tools in ways that are not JSON: the error names the line and says what
// wrote it and how to write it instead (robustness audit of files we have not seen, helper hD).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRows } from './load-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'load-rows-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const good = JSON.stringify({ prompt: 'p', scores: { a: 1, b: 0 } });

describe('loadRows on lines that are not JSON', () => {
  it("says NaN and Infinity are no JSON values (Python's json.dumps writes them)", () => {
    const nan = file('nan.jsonl', `${good}\n{"prompt": "q", "scores": {"a": NaN, "b": 1}}\n`);
    // Before: only JSON.parse's "Unexpected token 'N'", which says neither what nor how.
    expect(() => loadRows(nan)).toThrow(
      /nan\.jsonl:2: not valid JSON \(.*\): NaN is no JSON value \(Python's json\.dumps writes it for a float nan or inf\); write null where a model has no score, else a number$/,
    );
    const inf = file('inf.jsonl', `{"prompt": "q", "scores": {"a": 0.5, "b": -Infinity}}\n`);
    expect(() => loadRows(inf)).toThrow(/inf\.jsonl:1: .*: -Infinity is no JSON value/);
    // A prompt that merely says NaN is text, and reads as such.
    const text = file('text.jsonl', `{"prompt": "is NaN, a number?", "scores": {"a": 1}}\n`);
    expect(loadRows(text)[0]!.prompt).toBe('is NaN, a number?');
  });

  it('says a line is a Python dict written with str(): None, True, False, single quotes', () => {
    const none = file(
      'none.jsonl',
      `{"prompt": "q", "multi_turn": False, "scores": {"a": None}}\n`,
    );
    expect(() => loadRows(none)).toThrow(
      /none\.jsonl:1: not valid JSON \(.*\): False is Python, not JSON \(null, true, false\); write each row with json\.dumps, not str\(\)$/,
    );
    const quotes = file('quotes.jsonl', `${good}\n{'prompt': 'q', 'scores': {'a': 1}}\n`);
    expect(() => loadRows(quotes)).toThrow(
      /quotes\.jsonl:2: .*: JSON names and strings take double quotes, not single \(a Python dict written with str\(\)\?\)/,
    );
  });

  it('still says a last line with no line break may be cut off, when it holds no such value', () => {
    const cut = file('cut.jsonl', `${good}\n{"prompt": "q", "scores": {"a": 0.`);
    expect(() => loadRows(cut)).toThrow(/cut\.jsonl:2: .*was the file cut off\?$/);
  });
});
