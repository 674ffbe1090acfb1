// `--out <file>` checked before the work: what is wrong with the path, in words that are true.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutFile } from './out-path.js';

describe('checkOutFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mr-out-path-'));
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');

  it('says a file stands where the directory should be, not that the directory does not exist', () => {
    // Until 2026-12-07: "directory …/a-file does not exist (create it first)", which it did.
    expect(() => checkOutFile(join(aFile, 'out.json'))).toThrow(
      `--out ${join(aFile, 'out.json')}: ${aFile} is a file, not a directory`,
    );
    expect(() => checkOutFile(join(aFile, 'deeper', 'out.json'))).toThrow(
      `--out ${join(aFile, 'deeper', 'out.json')}: ${aFile} is a file, not a directory`,
    );
  });

  it('still says when the directory is missing, and passes a writable one', () => {
    expect(() => checkOutFile(join(dir, 'no-such', 'out.json'))).toThrow(
      `directory ${join(dir, 'no-such')} does not exist (create it first)`,
    );
    expect(() => checkOutFile(join(dir, 'out.json'))).not.toThrow();
  });
});
