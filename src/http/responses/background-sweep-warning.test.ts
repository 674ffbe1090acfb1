// The background responses' sweep against a response store that is down: the poll runs every few
// seconds, so its failure is said once a minute with a count, and once more when the store is back.
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import type { ResponseStore } from '../../store/response-store.js';
import { BackgroundResponses } from './background-responses.js';

describe('BackgroundResponses.sweep with its store down', () => {
  it('warns once a minute while the store stays down, then that it works again', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 5));
    let down = true;
    const store = {
      expired: () =>
        down
          ? Promise.reject(new Error('Connection terminated unexpectedly'))
          : Promise.resolve([]),
    } as unknown as ResponseStore;
    const warnings: string[] = [];
    const background = new BackgroundResponses({
      store,
      clock,
      log: { warn: (m) => warnings.push(m), info: () => {} },
    });
    // A sweep every 5 s for two minutes (0 s … 120 s): 25 failures, three lines.
    for (let t = 0; t <= 120; t += 5) {
      expect(await background.sweep()).toBe(0);
      clock.advance(5_000);
    }
    expect(warnings).toEqual([
      'background responses: sweep failed: Connection terminated unexpectedly',
      'background responses: sweep failed: Connection terminated unexpectedly (12 times in the last 60 s)',
      'background responses: sweep failed: Connection terminated unexpectedly (12 times in the last 60 s)',
    ]);
    down = false;
    await background.sweep();
    await background.sweep();
    expect(warnings.slice(3)).toEqual(['background responses: sweep failed: working again']);
  });
});
