// A poll loop's warning while its store is down: said when it starts or changes, then once a
// minute with a count, and once more when the poll works again.
import { describe, expect, it } from 'vitest';
import { repeatedWarning } from './repeated-warning.js';

describe('repeatedWarning', () => {
  it('says a repeated failure once a minute with how many came, a new one at once, and the recovery', () => {
    const said: string[] = [];
    let t = 0;
    const w = repeatedWarning(
      (m) => said.push(m),
      'batches: could not claim a batch',
      () => t,
    );
    w.ok(); // never failed: nothing
    for (; t < 90_000; t += 1000) w.failed('connect ECONNREFUSED');
    w.failed('timeout exceeded when trying to connect');
    w.ok();
    w.ok();
    expect(said).toEqual([
      'batches: could not claim a batch: connect ECONNREFUSED',
      'batches: could not claim a batch: connect ECONNREFUSED (60 times in the last 60 s)',
      'batches: could not claim a batch: timeout exceeded when trying to connect',
      'batches: could not claim a batch: working again',
    ]);
  });
});
