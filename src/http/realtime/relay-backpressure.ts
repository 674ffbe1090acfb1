// Flow control for one direction of a realtime relay (realtime-relay.ts): frames read from
// one side are queued on the other side's socket, which may not keep up. Past `highWaterBytes`
// queued, reading from the first side stops (ws's `pause()`, as ws-based proxies do, so TCP pushes
// back on the sender); once the queued writes drain below half of it (ws's send callbacks), reading
// starts again. A side that does not drain within `stallMs` has stalled: `onStall` ends the session.

/** One direction: the socket written to, and the reading to stop and start on the other side. */
export interface BackpressureOptions {
  highWaterBytes: number;
  stallMs: number;
  /** Bytes queued on the socket written to (ws's `bufferedAmount`). */
  buffered(): number;
  pauseSource(): void;
  resumeSource(): void;
  /** Still over the mark `stallMs` after the pause; called once. */
  onStall(bufferedBytes: number): void;
}

export class Backpressure {
  private paused = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** How many times reading was paused, and the most ever queued (for the session's log line). */
  pauses = 0;
  peakBytes = 0;

  constructor(private readonly o: BackpressureOptions) {}

  get isPaused(): boolean {
    return this.paused;
  }

  /** A frame was just queued on the socket written to: past the mark, the source is paused. */
  queued(): void {
    if (this.stopped) return;
    const bytes = this.o.buffered();
    if (bytes > this.peakBytes) this.peakBytes = bytes;
    if (this.paused || bytes <= this.o.highWaterBytes) return;
    this.paused = true;
    this.pauses++;
    this.o.pauseSource();
    this.timer = setTimeout(() => {
      if (!this.paused || this.stopped) return;
      this.stop();
      this.o.onStall(this.o.buffered());
    }, this.o.stallMs);
  }

  /** A queued frame went out (its send callback): below half the mark, the source resumes. */
  written(): void {
    if (!this.paused || this.stopped || this.o.buffered() > this.o.highWaterBytes / 2) return;
    this.paused = false;
    clearTimeout(this.timer);
    this.o.resumeSource();
  }

  /** The session is over: no more pausing, resuming or stall. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** A session's backpressure for its log line: pauses per side paused, the most ever queued. */
export function flowSummary(toClient?: Backpressure, toUpstream?: Backpressure) {
  if (!toClient || !toUpstream || toClient.pauses + toUpstream.pauses === 0) return undefined;
  return {
    pauses: { upstream: toClient.pauses, client: toUpstream.pauses },
    peakBufferedBytes: { toClient: toClient.peakBytes, toUpstream: toUpstream.peakBytes },
  };
}

/** The two sides of a relay as backpressure sees them. */
export interface RelaySides {
  client: { readonly bufferedAmount: number; pause(): void; resume(): void };
  upstream: { bufferedAmount?(): number; pause?(): void; resume?(): void };
}

/**
 * Backpressure both ways: `toClient` watches the client's socket and pauses the upstream,
 * `toUpstream` the reverse. `onPause` names the side paused; `onStall` the side that stalled.
 */
export function relayBackpressure(
  sides: RelaySides,
  settings: { highWaterBytes: number; stallMs: number },
  on: {
    pause(paused: 'client' | 'upstream'): void;
    stall(slow: 'client' | 'upstream', bufferedBytes: number): void;
  },
): { toClient: Backpressure; toUpstream: Backpressure } {
  const { client, upstream } = sides;
  return {
    toClient: new Backpressure({
      ...settings,
      buffered: () => client.bufferedAmount,
      pauseSource: () => {
        if (!upstream.pause) return; // an in-process session: nothing to hold back
        upstream.pause();
        on.pause('upstream');
      },
      resumeSource: () => upstream.resume?.(),
      onStall: (bytes) => on.stall('client', bytes),
    }),
    toUpstream: new Backpressure({
      ...settings,
      buffered: () => upstream.bufferedAmount?.() ?? 0,
      pauseSource: () => {
        client.pause();
        on.pause('client');
      },
      resumeSource: () => client.resume(),
      onStall: (bytes) => on.stall('upstream', bytes),
    }),
  };
}
