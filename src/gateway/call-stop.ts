// A call's stop (its client went away) without an AbortSignal on the hot path: on Node 20 making
// one costs ≈5 µs (an EventTarget given AbortSignal's prototype) and a listener added and removed
// ≈4 µs, and a routed request used to make two (the call's and its attempt's). A ChatCall built by
// the HTTP routes carries a CallStop, and its `signal` is a getter that makes the signal only when
// read (a queued wait, the semantic cache); the hot path asks `callStopped` and `onCallStopped`.
import type { ChatCall } from './gateway-types.js';

/** Whether a call was stopped, and who to tell when it is; its AbortSignal made on first read. */
export class CallStop {
  private controller: AbortController | undefined;
  private listeners: (() => void)[] | undefined;
  stopped = false;

  /** Stops the call: the signal (if made) aborts, then each listener runs once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.controller?.abort();
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const fn of listeners) fn();
  }

  /** The call's signal, aborted (with an `AbortError`) if or when the call is stopped. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** The signal if something has read it: only such a reader can have kept it (a queued wait). */
  get signalIfMade(): AbortSignal | undefined {
    return this.controller?.signal;
  }

  /** Calls `fn` once when the call is stopped (at once if it is); returns what takes it back. */
  onStop(fn: () => void): () => void {
    if (this.stopped) {
      fn();
      return () => {};
    }
    (this.listeners ??= []).push(fn);
    return () => {
      const i = this.listeners?.indexOf(fn) ?? -1;
      if (i !== -1) this.listeners!.splice(i, 1);
    };
  }
}

/** Whether the call was stopped (its client went away), without making its signal. */
export function callStopped(call: ChatCall): boolean {
  return call.stop ? call.stop.stopped : call.signal.aborted;
}

/** Calls `fn` once when the call is stopped; returns what takes it back. */
export function onCallStopped(call: ChatCall, fn: () => void): () => void {
  if (call.stop) return call.stop.onStop(fn);
  const signal = call.signal;
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/**
 * The call's signal where one exists already: what a queued wait registered itself by. A call
 * whose signal nobody has read has none, and is no waiter.
 */
export function callSignalIfMade(call: ChatCall): AbortSignal | undefined {
  return call.stop ? call.stop.signalIfMade : call.signal;
}

/**
 * A ChatCall whose `signal` is its stop's, made on first read. The getter is the prototype's: one
 * in an object literal costs ≈1 µs a call to make. A spread copies the fields, not the getter:
 * such a call is copied with `copyCall`.
 */
class StoppableCall {
  constructor(
    fields: Omit<ChatCall, 'signal' | 'stop'>,
    readonly stop: CallStop,
  ) {
    Object.assign(this, fields);
  }

  get signal(): AbortSignal {
    return this.stop.signal;
  }
}

/** A ChatCall over `stop` (see StoppableCall). */
export function stoppableCall(fields: Omit<ChatCall, 'signal' | 'stop'>, stop: CallStop): ChatCall {
  return new StoppableCall(fields, stop) as unknown as ChatCall;
}

/** A copy of `call` with `changes`: a spread would lose a StoppableCall's `signal`. */
export function copyCall(call: ChatCall, changes: Partial<ChatCall>): ChatCall {
  const copy = Object.create(Object.getPrototypeOf(call) as object | null) as ChatCall;
  return Object.assign(copy, call, changes);
}
