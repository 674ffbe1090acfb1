// One direction's flow control on its own: paused past the mark, resumed below half of it, and
// given up on when it stays paused for the stall time (fake timers; no sockets).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backpressure } from './relay-backpressure.js';

function valve() {
  const state = { buffered: 0, paused: 0, resumed: 0, stalls: [] as number[] };
  const flow = new Backpressure({
    highWaterBytes: 1000,
    stallMs: 5000,
    buffered: () => state.buffered,
    pauseSource: () => state.paused++,
    resumeSource: () => state.resumed++,
    onStall: (bytes) => state.stalls.push(bytes),
  });
  return { state, flow };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Backpressure', () => {
  it('pauses past the mark and resumes only below half of it', () => {
    const { state, flow } = valve();
    state.buffered = 1000;
    flow.queued();
    expect(state.paused).toBe(0);
    state.buffered = 1001;
    flow.queued();
    flow.queued();
    expect([state.paused, flow.isPaused]).toEqual([1, true]);
    state.buffered = 600;
    flow.written();
    expect(state.resumed).toBe(0);
    state.buffered = 500;
    flow.written();
    expect([state.resumed, flow.isPaused, flow.pauses, flow.peakBytes]).toEqual([
      1,
      false,
      1,
      1001,
    ]);
    // A resumed flow does not stall.
    vi.advanceTimersByTime(10_000);
    expect(state.stalls).toEqual([]);
  });

  it('stalls once when it stays paused for stallMs, and then does nothing more', () => {
    const { state, flow } = valve();
    state.buffered = 4000;
    flow.queued();
    vi.advanceTimersByTime(4999);
    expect(state.stalls).toEqual([]);
    state.buffered = 4200;
    vi.advanceTimersByTime(1);
    expect(state.stalls).toEqual([4200]);
    state.buffered = 0;
    flow.written();
    flow.queued();
    expect(state.resumed).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(state.stalls).toEqual([4200]);
  });

  it('stops: no stall after the session ended', () => {
    const { state, flow } = valve();
    state.buffered = 4000;
    flow.queued();
    flow.stop();
    vi.advanceTimersByTime(10_000);
    expect(state.stalls).toEqual([]);
  });
});
