// `responses.background` as a replica's background runner reads it: the sweep's interval is a timer
// set at start (driven here by vitest's fake timers, not waited for; the store is a stub counting
// the sweeps), the defaults are the values the runner had before, and the schema's errors name the
// key. The kept events, the lease and the shutdown grace from the config are tested through the
// API in background-responses.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  RESPONSES_BACKGROUND_DEFAULTS,
  responsesSchema,
  type ResponsesBackgroundConfig,
} from '../../config/responses-schema.js';
import { parseConfig, type ConfigError } from '../../config/load-config.js';
import { testConfigInput } from '../../../test/helpers/test-config.js';
import { createManualClock } from '../../core/clock.js';
import type { ResponseStore } from '../../store/response-store.js';
import { BackgroundResponses } from './background-responses.js';

function countingStore() {
  const calls = { expired: 0 };
  const store = {
    async expired() {
      calls.expired++;
      return [];
    },
  } as unknown as ResponseStore;
  return { store, calls };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('responses.background', () => {
  it('sweeps every sweepSeconds, whatever the lease', async () => {
    const { store, calls } = countingStore();
    const settings: ResponsesBackgroundConfig = {
      ...RESPONSES_BACKGROUND_DEFAULTS,
      leaseSeconds: 60,
      sweepSeconds: 7,
    };
    const bg = new BackgroundResponses({
      store,
      clock: createManualClock(),
      log: { warn: () => {}, info: () => {} },
      settings: () => settings,
    });
    await bg.start();
    await vi.advanceTimersByTimeAsync(6_999);
    expect(calls.expired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.expired).toBe(1);
    await vi.advanceTimersByTimeAsync(14_000);
    expect(calls.expired).toBe(3);
    await bg.stop(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.expired).toBe(3); // stopped: no more sweeps
  });

  it('defaults to what the runner did before it was configurable', () => {
    expect(responsesSchema.parse(undefined)).toEqual({
      background: {
        leaseSeconds: 30,
        sweepSeconds: 30,
        maxKeptEvents: 10_000,
        shutdownGraceSeconds: 10,
      },
      websocket: { maxConnectionMinutes: 60 },
      storedInlineDataMaxBytes: 4 * 1024 * 1024,
    });
  });

  it('refuses values out of range and unknown keys, naming the path', () => {
    const issues = (background: unknown) => {
      try {
        parseConfig(testConfigInput({ responses: { background } as never }), {});
        return [];
      } catch (err) {
        return (err as ConfigError).issues;
      }
    };
    expect(issues({ leaseSeconds: 2 })).toEqual([
      'responses.background.leaseSeconds: must be at least 3 (the lease is renewed every third of it)',
    ]);
    expect(issues({ maxKeptEvents: 0 })[0]).toMatch(/^responses.background.maxKeptEvents: /);
    expect(issues({ shutdownGraceSeconds: -1 })[0]).toMatch(
      /^responses.background.shutdownGraceSeconds: /,
    );
    expect(issues({ leaseMs: 30_000 })[0]).toMatch(/^responses.background.leaseMs: unknown key/);
    expect(issues({ sweepSeconds: 5, shutdownGraceSeconds: 0.5 })).toEqual([]);
  });
});
