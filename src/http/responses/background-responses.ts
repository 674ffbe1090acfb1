// OpenAI's background mode (`background: true`): the response is stored `queued` and returned at
// once, and this replica runs it (the same gateway call as a foreground request: routing,
// governance, request log, as the caller) while the client polls `GET /v1/responses/{id}` or
// follows its events. The replica holds a lease on the stored response and renews it; a cancel
// (`POST …/{id}/cancel`, on any replica) ends the stored response first, then reaches the run: at
// once on this replica, through the shared state's pub/sub on another, and at the latest at the
// next renewal, which finds the lease gone. A replica that dies leaves a lease that runs out: any
// replica's sweep marks that response `failed` with an error saying so. It is not run again: the
// upstream may have answered (and billed) already, and a client that retries knows it does.
// A streamed one keeps its first `maxKeptEvents` events and its terminal one (in the store, so any
// replica can replay them: `GET …?stream=true&starting_after=N`).
import {
  RESPONSES_BACKGROUND_DEFAULTS,
  type ResponsesBackgroundConfig,
} from '../../config/responses-schema.js';
import type { Clock } from '../../core/clock.js';
import { GatewayError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { ChatOutcome } from '../../gateway/gateway-types.js';
import { shuttingDownError } from '../../gateway/call-drain.js';
import type { SharedState } from '../../store/shared-state.js';
import type { ResponseStore, StoredResponse } from '../../store/response-store.js';
import type { Json } from './responses-convert.js';
import type { ResponsesEvent } from './responses-stream.js';
import {
  endedAs,
  eventData,
  failedResponse,
  queuedResponse,
  routerHeadersOf,
} from './background-shapes.js';
import { RunEvents } from './run-events.js';
import { afterLastKept, FLUSH_AT, followEvents } from './background-follow.js';
import {
  jsonResponse,
  RUNNING_STATUSES,
  storedResponse,
  streamResponseEvents,
  withStatus,
  type PreparedResponse,
} from './responses-run.js';
import { repeatedWarning } from '../../core/repeated-warning.js';

const CANCEL_CHANNEL = 'responses:cancel';
const FLUSH_EVERY_MS = 100;

export interface BackgroundDeps {
  store: ResponseStore;
  clock: Clock;
  log: { warn(msg: string): void; info(msg: string): void };
  /** Cancels reach the replica running a response at once through its pub/sub. */
  state?: SharedState;
  /** `responses.background` as the config has it now: the lease and the sweep are read at start
   * (they set the timers), the kept events as each run starts, the grace at shutdown. */
  settings?: () => ResponsesBackgroundConfig;
  /** How often a follower on another replica looks for new events. */
  pollMs?: number;
  /** Writes the request-log record of a run swept as dead, which its replica never wrote
   * (lost-run-record.ts); `now` is when the sweep failed it. */
  recordLostRun?: (failed: StoredResponse, now: number) => Promise<void>;
}

/** What the gateway call of a background response is, given the signal that cancels it. */
export type BackgroundCall = (signal: AbortSignal) => Promise<ChatOutcome>;

interface Run {
  id: string;
  stored: StoredResponse;
  abort: AbortController;
  /** Set once the stored response is no longer this run's (cancelled, swept): nothing more is written. */
  lost: boolean;
  events: RunEvents;
  flushing: Promise<void>;
  flushTimer?: NodeJS.Timeout;
  /** Followers waiting for the next event or the end. */
  waiters: (() => void)[];
  done: Promise<void>;
}

export class BackgroundResponses {
  readonly holder = newId('replica_');
  private readonly runs = new Map<string, Run>();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  /** A store that is down fails every sweep: said once a minute, not every pass. */
  private readonly sweepWarning = repeatedWarning(
    (m) => this.deps.log.warn(m),
    'background responses: sweep failed',
    () => this.deps.clock.now(),
  );
  private readonly settings: () => ResponsesBackgroundConfig;

  constructor(private readonly deps: BackgroundDeps) {
    this.settings = deps.settings ?? (() => RESPONSES_BACKGROUND_DEFAULTS);
    // The lease is fixed for the life of the replica: every run's renewals and leases agree.
    this.leaseMs = this.settings().leaseSeconds * 1000;
    this.pollMs = deps.pollMs ?? 250;
  }

  /** Renews this replica's leases, sweeps dead replicas' runs, listens for cancels. */
  async start(): Promise<void> {
    const renew = setInterval(() => void this.renew(), this.leaseMs / 3);
    const sweep = setInterval(() => void this.sweep(), this.settings().sweepSeconds * 1000);
    for (const t of [renew, sweep]) t.unref();
    this.timers = [renew, sweep];
    this.unsubscribe = await this.deps.state
      ?.subscribe(CANCEL_CHANNEL, (id) => this.stopRun(id))
      .catch((err: Error) => {
        this.deps.log.warn(`background responses: no cancel channel: ${err.message}`);
        return undefined;
      });
  }

  /** Waits up to `waitMs` (default `shutdownGraceSeconds`) for the runs here to finish; those
   * still running are marked failed. */
  async stop(waitMs = this.settings().shutdownGraceSeconds * 1000): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.unsubscribe?.().catch(() => {});
    // Real time, not the injected clock: a test's manual clock would never let this end.
    const until = performance.now() + waitMs;
    while (this.runs.size > 0 && performance.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    for (const run of [...this.runs.values()]) {
      const failed = failedResponse(
        run.stored,
        'server_error',
        'The router replica running this background response shut down before it finished; it was not run again. Send the request again.',
      );
      run.lost = true;
      // It pushes no event from now on: its followers' made-up terminal event is the next.
      if (run.stored.streamed) failed.terminalSequence = run.events.produced;
      run.abort.abort(shuttingDownError());
      await this.deps.store.update(failed, this.holder, null).catch(() => false);
      await run.done;
    }
  }

  /** How many background responses this replica runs now. */
  running(): number {
    return this.runs.size;
  }

  /**
   * Stores the response `queued` and starts running it; the Response object to answer with.
   * `requestId` is the creating request's (the request log's), kept for operators.
   */
  async begin(
    p: PreparedResponse,
    call: BackgroundCall,
    passThrough: boolean,
    requestId: string,
    caller?: StoredResponse['caller'],
  ): Promise<Json> {
    const stream = p.body.stream === true;
    const queued = storedResponse(p, queuedResponse(p), undefined, {
      requestId,
      ...(caller ? { caller } : {}),
      ...(stream ? { streamed: true } : {}),
    });
    await this.deps.store.save(queued, { holder: this.holder, until: this.leaseUntil() });
    let finished!: () => void;
    const run: Run = {
      id: p.ctx.id,
      stored: queued,
      abort: new AbortController(),
      lost: false,
      events: new RunEvents(this.settings().maxKeptEvents),
      flushing: Promise.resolve(),
      waiters: [],
      done: new Promise<void>((r) => (finished = r)),
    };
    this.runs.set(run.id, run);
    void this.execute(run, p, call, passThrough).finally(async () => {
      // Appended if it completed (execute); released whatever happened.
      await p.conversation?.release().catch((err: Error) => {
        this.deps.log.warn(`background responses: conversation of ${run.id}: ${err.message}`);
      });
      clearTimeout(run.flushTimer);
      await this.flush(run);
      this.runs.delete(run.id);
      this.wake(run);
      finished();
    });
    return queued.response!;
  }

  /**
   * Cancels a running background response (the caller checked it is the owner's and running):
   * the Response as cancelled, or undefined when it ended meanwhile (read it again).
   */
  async cancel(stored: StoredResponse): Promise<Json | undefined> {
    const cancelled = endedAs(stored, 'cancelled');
    if (!(await this.deps.store.end(cancelled))) return undefined;
    if (!this.stopRun(stored.id))
      await this.deps.state?.publish(CANCEL_CHANNEL, stored.id).catch((err: Error) => {
        // The run's replica finds the lease gone at its next renewal instead.
        this.deps.log.warn(`background responses: cancel not published: ${err.message}`);
      });
    return cancelled.response;
  }

  /**
   * The events of a streamed background response after sequence number `after`, then those still
   * to come, until its terminal event (`followEvents`). `progress` is told each sequence number
   * sent (for an error event's). `creating`: the stream of the request that created it, which
   * gets every event held, however soon the run ends (a resume of an ended one gets those kept).
   */
  follow(
    id: string,
    owner: string,
    after: number,
    signal: AbortSignal,
    progress: (seq: number) => void = () => {},
    creating = false,
  ): AsyncGenerator<ResponsesEvent> {
    return followEvents(
      { run: (x) => this.runs.get(x), store: this.deps.store, pollMs: this.pollMs },
      { id, owner, after, signal, progress, creating },
    );
  }

  /** Marks runs whose replica stopped renewing their lease as failed; how many. */
  async sweep(): Promise<number> {
    const now = this.deps.clock.now();
    let swept = 0;
    try {
      for (const stored of await this.deps.store.expired(now, 100)) {
        if (this.runs.has(stored.id)) continue; // ours, renewal late: not dead
        const failed = failedResponse(
          stored,
          'server_error',
          'The router replica running this background response stopped before it finished; it was not run again, as the model may already have answered and billed. Send the request again.',
        );
        // Its followers' made-up terminal event: after the events kept (how many more the dead
        // replica sent is known to no other), the same for every resume.
        if (stored.streamed)
          failed.terminalSequence = await afterLastKept(this.deps.store, stored.id);
        if (!(await this.deps.store.end(failed, now))) continue;
        swept++;
        await this.deps.recordLostRun?.(failed, now).catch((err: Error) => {
          this.deps.log.warn(
            `background responses: no request-log record of ${stored.id}: ${err.message}`,
          );
        });
      }
      this.sweepWarning.ok();
    } catch (err) {
      this.sweepWarning.failed((err as Error).message);
    }
    if (swept)
      this.deps.log.warn(`background responses: ${swept} left by a stopped replica failed`);
    return swept;
  }

  /** Renews the leases of the runs here; a run whose lease is gone (cancelled) is stopped. */
  async renew(): Promise<void> {
    const until = this.leaseUntil();
    for (const run of [...this.runs.values()]) {
      if (run.lost) continue;
      const held = await this.deps.store.renew(run.id, this.holder, until).catch((err: Error) => {
        this.deps.log.warn(`background responses: lease of ${run.id} not renewed: ${err.message}`);
        return true; // the store is down: keep running, the final write tells
      });
      if (!held) this.stopRun(run.id);
    }
  }

  private leaseUntil(): number {
    return this.deps.clock.now() + this.leaseMs;
  }

  /** Stops a run here whose stored response another party ended; whether it ran here. */
  private stopRun(id: string): boolean {
    const run = this.runs.get(id);
    if (!run) return false;
    run.lost = true;
    run.abort.abort(
      new GatewayError({
        status: 499,
        type: 'invalid_request_error',
        code: 'response_cancelled',
        message: 'The background response was cancelled.',
      }),
    );
    this.wake(run);
    return true;
  }

  private async execute(
    run: Run,
    p: PreparedResponse,
    call: BackgroundCall,
    passThrough: boolean,
  ): Promise<void> {
    const started = withStatus(run.stored, 'in_progress');
    if (!(await this.write(run, started, this.leaseUntil()))) return;
    let final: StoredResponse | undefined;
    try {
      const outcome = await call(run.abort.signal);
      const served = {
        requestId: run.stored.requestId,
        routerHeaders: routerHeadersOf(outcome.headers),
      };
      if (outcome.kind === 'json') {
        const { response, answer } = jsonResponse(outcome, p, passThrough);
        final = storedResponse(p, response, answer, served);
      } else {
        // Who serves it, kept as its stream begins: a replica that dies now leaves it on record.
        // (A run lost meanwhile stops at its first event below, which closes the stream.)
        await this.write(
          run,
          { ...started, routerHeaders: served.routerHeaders },
          this.leaseUntil(),
        );
        const events = await streamResponseEvents(outcome, p, passThrough, async (r, answer) => {
          // Kept before the terminal event is told, as in the foreground; that event is the next.
          final = storedResponse(p, r, answer, {
            ...served,
            streamed: true,
            terminalSequence: run.events.produced,
          });
          await this.flush(run);
          if (await this.write(run, final, null)) await this.finishTurn(p, final);
        });
        for await (const e of events) {
          if (run.lost) break;
          this.push(run, e.data);
        }
        if (!run.lost && RUNNING_STATUSES.includes(run.stored.response?.status))
          throw new Error('the stream ended without a final response');
        return;
      }
    } catch (err) {
      if (run.lost) return;
      const e = err instanceof GatewayError ? err : undefined;
      // run.stored: with where it was routed, once its stream began.
      final = failedResponse(
        run.stored,
        e?.code ?? 'server_error',
        e?.message ?? `The background response failed: ${(err as Error).message}`,
      );
      if (p.body.stream === true) {
        if (run.events.produced === 0)
          this.push(
            run,
            eventData('response.created', 0, { ...started.response!, status: 'in_progress' }),
          );
        await this.flush(run);
        final.terminalSequence = run.events.produced;
        if (await this.write(run, final, null))
          this.push(run, eventData('response.failed', run.events.produced, final.response!));
        return;
      }
    }
    if (final && (await this.write(run, final, null))) await this.finishTurn(p, final);
  }

  /** Appends a run that ended as it did to its conversation, if it names one (conversation-turn.ts:
   * a completed or incomplete one only). */
  private async finishTurn(p: PreparedResponse, final: StoredResponse): Promise<void> {
    await p.conversation?.finish(final.response!).catch((err: Error) => {
      this.deps.log.warn(`background responses: ${err.message}`);
    });
  }

  /** Writes the run's response while it is the run's; false (and the run stops) when it is not. */
  private async write(run: Run, stored: StoredResponse, until: number | null): Promise<boolean> {
    if (run.lost) return false;
    const held = await this.deps.store.update(stored, this.holder, until).catch((err: Error) => {
      this.deps.log.warn(`background responses: could not store ${run.id}: ${err.message}`);
      return until !== null; // a lost final write is a lost run; a lost progress write is not
    });
    if (!held) run.lost = true;
    else run.stored = stored;
    return held;
  }

  /** An event of a streamed run: held for followers here, kept (the first `maxKeptEvents` and the
   * terminal one) for any replica, told. */
  private push(run: Run, data: string): void {
    run.events.add(data);
    this.wake(run);
    if (run.events.unstored() >= FLUSH_AT) void this.flush(run);
    else run.flushTimer ??= setTimeout(() => void this.flush(run), FLUSH_EVERY_MS).unref();
  }

  private wake(run: Run): void {
    for (const w of run.waiters.splice(0)) w();
  }

  /** Writes the kept events not yet written, in order (one write at a time per run). */
  private flush(run: Run): Promise<void> {
    clearTimeout(run.flushTimer);
    run.flushTimer = undefined;
    run.flushing = run.flushing.then(() =>
      run.events.store((first, events) => this.deps.store.appendEvents(run.id, first, events)),
    );
    run.flushing = run.flushing.catch((err: Error) => {
      this.deps.log.warn(`background responses: events of ${run.id} not kept: ${err.message}`);
    });
    return run.flushing;
  }
}
