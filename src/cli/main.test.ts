// The CLI's argument handling before a command's own parser: a negative number after an option
// that takes a value is that option's value (CLI audit D6: `--seed -1` was Node's "ambiguous").
import { describe, expect, it } from 'vitest';
import { joinNegativeValues } from './main.js';
import { OPTIONS as CALIBRATE_BANDS } from './calibrate-bands.js';
import { OPTIONS as TRAIN } from './train.js';

describe('joinNegativeValues', () => {
  it('gives a negative number to the value-taking option before it', () => {
    expect(joinNegativeValues(['--seed', '-1', '--out', 'a.json'], TRAIN)).toEqual([
      '--seed=-1',
      '--out',
      'a.json',
    ]);
    expect(joinNegativeValues(['--confidence-z', '-.5'], CALIBRATE_BANDS)).toEqual([
      '--confidence-z=-.5',
    ]);
  });

  it('leaves options, flags, unknown options and operands after -- as they are', () => {
    expect(joinNegativeValues(['--seed', '--out', 'a.json'], TRAIN)).toEqual([
      '--seed',
      '--out',
      'a.json',
    ]);
    expect(joinNegativeValues(['--nope', '-1'], TRAIN)).toEqual(['--nope', '-1']);
    expect(joinNegativeValues(['--', '--seed', '-1'], TRAIN)).toEqual(['--', '--seed', '-1']);
    expect(joinNegativeValues(['--seed', '-x'], TRAIN)).toEqual(['--seed', '-x']);
  });
});
