// Following a streamed background response (`GET /v1/responses/{id}?stream=true`): on the replica
// that runs it, its events from memory as they come; elsewhere, from the store, polled, until its
// terminal event (or, for one that ended without one, its end as the store has it). A resume of
// one that has ended gets what the store keeps (its first `maxKeptEvents` events and the terminal
// one) on every replica, the one that has just run it too.
import type { ResponseStore } from '../../store/response-store.js';
import {
  asEvent,
  eventType,
  sequenceOf,
  TERMINAL_EVENTS,
  terminalEvent,
} from './background-shapes.js';
import type { ResponsesEvent } from './responses-stream.js';
import { RUNNING_STATUSES } from './responses-run.js';
import type { RunEvents } from './run-events.js';

/** Events the store gives a follower at once (and the most written in one go). */
export const FLUSH_AT = 100;

/** A run as a follower on its replica reads it: its events, and a place to wait for the next. */
export interface FollowedRun {
  events: RunEvents;
  waiters: (() => void)[];
}

/** The events after `after` until the terminal one; stops early when `signal` aborts. */
export async function* followEvents(
  source: { run(id: string): FollowedRun | undefined; store: ResponseStore; pollMs: number },
  follower: {
    id: string;
    owner: string;
    after: number;
    signal: AbortSignal;
    progress: (seq: number) => void;
    /** The creating request's own stream: followed in memory even if the run has ended. */
    creating?: boolean;
  },
): AsyncGenerator<ResponsesEvent> {
  const { id, owner, after, signal, progress, creating = false } = follower;
  let next = after + 1;
  let ended = false;
  // Waits end early when the follower goes away.
  const gone = new Promise<void>((r) =>
    signal.addEventListener('abort', () => r(), { once: true }),
  );
  const run = source.run(id);
  if (run?.events.terminal && !creating) {
    // Over, though still held here: as the store keeps it (a resume must not get other events
    // from the replica that ran it than from any other, nor before than after it lets it go).
    for (const data of run.events.keptAfter(after)) {
      if (signal.aborted) return;
      progress(sequenceOf(data));
      yield asEvent(data);
    }
    return;
  }
  // Running here: from memory, as soon as they come, to its terminal event, even once this
  // replica has let the run go (the store lacks the events past the head the follower is owed).
  while (run && !signal.aborted) {
    while (next < run.events.produced) {
      const data = run.events.at(next);
      // A follower that fell further behind than the events held skips to the oldest held.
      if (data === undefined) {
        next = run.events.oldestHeld();
        continue;
      }
      progress(next);
      yield asEvent(data);
      next++;
      if (run.events.terminal?.seq === next - 1) return;
    }
    // Over without a terminal event (cancelled, stopped): its end as the store has it.
    if (source.run(id) !== run) break;
    await Promise.race([new Promise<void>((r) => run.waiters.push(r)), gone]);
  }
  // Elsewhere, or over: from the store, polled.
  while (!signal.aborted) {
    const kept = await source.store.events(id, next - 1, FLUSH_AT);
    for (const data of kept) {
      next = sequenceOf(data) + 1;
      progress(next - 1);
      yield asEvent(data);
      if (TERMINAL_EVENTS.has(eventType(data))) return;
    }
    if (kept.length > 0) continue;
    if (ended) return;
    const stored = await source.store.get(id, owner);
    if (!stored || !RUNNING_STATUSES.includes(stored.response?.status)) {
      // Ended: one more read for events written just before, then its end as the store has it,
      // unless the kept stream already ends at or before where the client is (it resumed after
      // the terminal event, or past the end): nothing follows that, and a second terminal event
      // under a new number would end the client's stream twice.
      ended = true;
      if ((await source.store.events(id, next - 1, 1)).length > 0) continue;
      if (next - 1 === after && (await endsBy(source.store, id, after))) return;
      // Cancelled (its stream just ends) or deleted: nothing.
      if (!stored || !terminalEvent(stored.response!, 0)) return;
      // The run writes its end just before its terminal event, under the number it says: told
      // under that number, the event the store gets a moment later is that one, not a second. A
      // run failed without one (its replica shut down, or the sweep found it dead) has it made up
      // under the number its end was written with, else after the last event kept: the same
      // for every follower, wherever it resumed (not the next after those it had).
      const seq = stored.terminalSequence ?? (await afterLastKept(source.store, id));
      if (seq < next) return;
      yield terminalEvent(stored.response!, seq)!;
      return;
    }
    await Promise.race([new Promise((r) => setTimeout(r, source.pollMs).unref()), gone]);
  }
}

/**
 * The sequence number after the last event kept of `id` (0 when none is): what a run failed with
 * no terminal event written numbers the one made up for it (the sweep, which cannot know how many
 * events a dead replica sent past those kept). Found by doubling, then halving: a few reads of
 * one event each, however many are kept.
 */
export async function afterLastKept(store: ResponseStore, id: string): Promise<number> {
  // The sequence number of the first kept event at or after `n`, if any.
  const from = async (n: number) => {
    const [data] = await store.events(id, n - 1, 1);
    return data === undefined ? undefined : sequenceOf(data);
  };
  const first = await from(0);
  if (first === undefined) return 0;
  // `lo`: a kept event's number; `hi`: none kept at or after it.
  let lo = first;
  let hi = first + 1;
  for (let step = 1; ; step *= 2) {
    const found = await from(hi);
    if (found === undefined) break;
    lo = found;
    hi = found + step;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const found = await from(mid);
    if (found === undefined) hi = mid;
    else lo = found;
  }
  return lo + 1;
}

/**
 * Whether the events kept of `id` (numbered from 0, without gaps) end in a terminal event by
 * sequence number `seq`: the last kept one at or before it, found by halving, is terminal.
 */
async function endsBy(store: ResponseStore, id: string, seq: number): Promise<boolean> {
  const at = async (n: number) => (await store.events(id, n - 1, 1))[0];
  const exact = await at(seq);
  if (exact !== undefined) return TERMINAL_EVENTS.has(eventType(exact));
  // The last kept event lies before `seq`: the largest n with an event at n.
  let lo = 0;
  let hi = seq - 1;
  if (hi < 0 || (await at(0)) === undefined) return false;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((await at(mid)) !== undefined) lo = mid;
    else hi = mid - 1;
  }
  const last = await at(lo);
  return last !== undefined && TERMINAL_EVENTS.has(eventType(last));
}
