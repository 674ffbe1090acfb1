// Runs batches: every replica with `batches.enabled` leases unfinished batches from the store (a
// lease another replica takes over if this one stops renewing it), validates each input file,
// sends its lines through the router at most `concurrency` at a time over up to `maxActive`
// batches (taken in turn), keeps each finished line in the store (so a batch taken over resumes
// where it stopped: a line in flight when a replica died is sent again), and writes the output
// and error files at the end. A cancel request stops new lines; lines in flight finish. A batch
// that forwards hands the chat lines routed to a Batch API deployment to the forwarder
// (forward/), which keeps their results when the upstream batch ends. What it is given:
// batch-runner-deps.ts.
import { newId } from '../core/ids.js';
import type { StoredBatch } from '../store/batch-store.js';
import type { BatchRunnerDeps } from './batch-runner-deps.js';
import { loadBatchLines, newActiveBatch, writeKept, type ActiveBatch } from './active-batch.js';
import { judgeReply, unansweredLine, type LineReply } from './batch-line.js';
import { addUsage, readDoc } from './batch-object.js';
import { batchEnd, failBatch, finishBatch, type BatchEnding } from './finish-batch.js';
import { repeatedWarning } from '../core/repeated-warning.js';

const FLUSH_EVERY_MS = 500;
const FLUSH_AT = 200;

export class BatchRunner {
  readonly worker = newId('worker_');
  private readonly active = new Map<string, ActiveBatch>();
  private order: string[] = [];
  private cursor = 0;
  private inFlight = 0;
  private timers: NodeJS.Timeout[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private claiming: Promise<void> | undefined;
  /** A wake came while a claim was under way: claim again once it ends. */
  private wokenWhileClaiming = false;
  /** Batches being activated, and whether a cancel reached this replica meanwhile. */
  private readonly activating = new Map<string, { cancelled: boolean }>();
  /** Batches being finalized (no longer in `active`): their leases are still renewed. */
  private readonly finishing = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly leaseMs: number;
  /** A store that is down fails every claim: said once a minute, not every pass. */
  private readonly claimWarning = repeatedWarning(
    (m) => this.deps.log.warn(m),
    'batches: could not claim a batch',
    () => this.deps.clock.now(),
  );

  constructor(private readonly deps: BatchRunnerDeps) {
    this.leaseMs = deps.leaseMs ?? 30_000;
    deps.forwarder?.bind({
      keep: (b, line, ok, json) => this.keep(b, line, ok, json),
      requeue: (b, lines) => {
        b.pending.push(...lines);
        this.pump();
      },
      save: (b) => this.flush(b, true),
      checkEnd: (b) => this.checkEnd(b),
      expire: (b) => {
        b.ending ??= 'expired';
        this.checkEnd(b);
      },
    });
  }

  start(): void {
    const poll = setInterval(() => this.wake(), this.deps.settings().pollIntervalMs);
    const renew = setInterval(() => void this.renewLeases(), this.leaseMs / 3);
    const flush = setInterval(() => void this.flushAll(), FLUSH_EVERY_MS);
    for (const t of [poll, renew, flush]) t.unref();
    this.timers = [poll, renew, flush];
    this.deps.forwarder?.start();
    this.wake();
  }

  /** A client asked this replica to cancel `id`: stop it now if it runs here (others notice at
   * their next lease renewal). */
  noticeCancel(id: string): void {
    const starting = this.activating.get(id);
    if (starting) starting.cancelled = true;
    const b = this.active.get(id);
    if (!b || b.ending) return;
    b.ending = 'cancelled';
    this.checkEnd(b);
  }

  /** Looks for work now (a batch was just created on this replica). */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.wokenWhileClaiming = true;
      return;
    }
    this.claiming = this.claim().finally(() => {
      this.claiming = undefined;
      if (this.wokenWhileClaiming) {
        this.wokenWhileClaiming = false;
        this.wake();
      }
    });
  }

  status(): { active: number; lines_in_flight: number } {
    return { active: this.active.size, lines_in_flight: this.inFlight };
  }

  /** Stops starting lines, waits (up to `waitMs`) for those in flight, keeps what finished. */
  async stop(waitMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.wakeTimer);
    await this.claiming;
    // Real time, not the injected clock: a test's manual clock would never let this end.
    const until = performance.now() + waitMs;
    while ((this.inFlight > 0 || this.finishing.size > 0) && performance.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    // An upstream batch being created is saved before the lease goes (else it would be sent again).
    const forwarding = this.deps.forwarder?.stop();
    if (forwarding)
      await Promise.race([
        forwarding,
        new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())).unref()),
      ]);
    for (const b of this.active.values()) {
      await this.flush(b).catch(() => {});
      await this.deps.store.releaseLease(b.stored.id, this.worker).catch(() => {});
    }
    this.active.clear();
  }

  private async claim(): Promise<void> {
    const { maxActive } = this.deps.settings();
    // Batches that could not be activated in this pass: their leases run out, then they are tried
    // again (here or elsewhere); the next batch is not kept waiting for them.
    const failed: string[] = [];
    try {
      while (!this.stopped && this.active.size < maxActive) {
        const now = this.deps.clock.now();
        const stored = await this.deps.store.claimBatch(this.worker, now, now + this.leaseMs, [
          ...this.active.keys(),
          ...failed,
        ]);
        if (!stored) break;
        this.activating.set(stored.id, { cancelled: false });
        try {
          await this.activate(stored);
        } catch (err) {
          failed.push(stored.id);
          this.deps.log.warn(`batches: could not start ${stored.id}: ${(err as Error).message}`);
        } finally {
          this.activating.delete(stored.id);
        }
      }
      this.claimWarning.ok();
    } catch (err) {
      this.claimWarning.failed((err as Error).message);
    }
    this.pump();
  }

  private async activate(stored: StoredBatch): Promise<void> {
    const doc = readDoc(stored);
    const b = newActiveBatch(stored, doc);
    if (stored.status === 'finalizing') {
      this.active.set(stored.id, b);
      return this.finish(b, doc.ending ?? 'completed');
    }
    const { maxRequests } = this.deps.settings();
    const errors = await loadBatchLines(this.deps.store, b, maxRequests, this.deps.clock.now());
    if (errors) {
      doc.errors = errors;
      doc.failedAt = this.deps.clock.now();
      await failBatch(this.deps, this.worker, stored, doc);
      await this.deps.store.releaseLease(stored.id, this.worker);
      return;
    }
    this.deps.forwarder?.resume(b);
    if (stored.status === 'validating') {
      const models = new Set(b.lines.map((l) => l.body.model));
      const only = models.size === 1 ? [...models][0] : undefined;
      if (typeof only === 'string') doc.model = only;
      doc.requestCounts = { total: b.lines.length, completed: 0, failed: 0 };
      doc.inProgressAt = this.deps.clock.now();
      stored.status = 'in_progress';
      await this.deps.store.updateBatch(stored.id, this.worker, 'in_progress', JSON.stringify(doc));
    }
    if (stored.cancelRequestedAt !== undefined || this.activating.get(stored.id)?.cancelled)
      b.ending = 'cancelled';
    this.active.set(stored.id, b);
    this.order.push(stored.id);
    this.deps.log.info(
      `batches: running ${stored.id} (${b.pending.length} of ${b.lines.length} lines left)`,
    );
    this.checkEnd(b);
  }

  /** Starts lines while there is room, taking batches in turn. */
  private pump(): void {
    if (this.stopped) return;
    const { concurrency } = this.deps.settings();
    const now = this.deps.clock.now();
    let idle = 0;
    while (this.inFlight < concurrency && this.order.length > 0 && idle < this.order.length) {
      this.cursor %= this.order.length;
      const b = this.active.get(this.order[this.cursor]!)!;
      this.cursor++;
      const line = this.nextLine(b, now);
      if (line === undefined) {
        idle++;
        continue;
      }
      idle = 0;
      void this.run(b, line);
    }
    const soonest = Math.min(
      ...[...this.active.values()].flatMap((b) =>
        b.ending ? [] : b.deferred.map((d) => d.notBefore),
      ),
    );
    if (Number.isFinite(soonest)) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = setTimeout(() => this.pump(), Math.max(0, soonest - now) + 1);
      this.wakeTimer.unref();
    }
  }

  private nextLine(b: ActiveBatch, now: number): number | undefined {
    if (b.ending || b.lost) return undefined;
    if (now >= b.doc.expiresAt) {
      b.ending = 'expired';
      this.checkEnd(b);
      return undefined;
    }
    const ready = b.deferred.findIndex((d) => d.notBefore <= now);
    if (ready >= 0) return b.deferred.splice(ready, 1)[0]!.line;
    return b.pending.shift();
  }

  private async run(b: ActiveBatch, index: number): Promise<void> {
    this.inFlight++;
    b.inFlight++;
    const line = b.lines[index]!;
    const requestId = newId('batch_req_');
    try {
      const caller = this.deps.callerFor(b.doc.keyId, b.stored.owner);
      if ('error' in caller) {
        this.keep(
          b,
          index,
          false,
          unansweredLine(requestId, line, 'invalid_api_key', caller.error),
        );
        return;
      }
      let reply: LineReply;
      const forward = this.deps.forwarder?.offer(b, index, requestId);
      // Back from an upstream Batch API: its prompt's filter calls go with its first live run.
      const carried = forward ? undefined : this.deps.forwarder?.takeCarried(b, index);
      try {
        reply = await this.deps.send(line, caller, requestId, {
          id: b.stored.id,
          ...(b.doc.controls ? { controls: b.doc.controls } : {}),
          ...(forward ? { forward } : {}),
          ...(carried ? { carriedFilterCalls: carried } : {}),
        });
      } catch (err) {
        reply = {
          status: 500,
          headers: {},
          body: JSON.stringify({
            error: { message: (err as Error).message, type: 'server_error' },
          }),
        };
      }
      // Held for an upstream Batch API: the forwarder keeps its result or gives it back.
      if (forward?.taken) return;
      const attempt = (b.attempts.get(index) ?? 0) + 1;
      const outcome = judgeReply(requestId, line, reply, attempt, {
        maxAttempts: this.deps.settings().maxAttempts,
        retryBaseMs: this.deps.retryBaseMs ?? 1_000,
      });
      if (outcome.kind === 'retry') {
        const notBefore = this.deps.clock.now() + outcome.afterMs;
        if (notBefore < b.doc.expiresAt) {
          if (outcome.counts) b.attempts.set(index, attempt);
          b.deferred.push({ line: index, notBefore });
          this.deps.onLine?.('retried');
          return;
        }
        // No time left to wait for: the last reply is the line's answer.
        this.keep(b, index, false, outcome.json);
        return;
      }
      b.attempts.delete(index);
      if (outcome.ok) addUsage(b.doc.usage, outcome.usage);
      this.keep(b, index, outcome.ok, outcome.json);
    } finally {
      this.inFlight--;
      b.inFlight--;
      this.checkEnd(b);
      this.pump();
    }
  }

  /** Keeps a finished line; `ran` false for a line that never ran (cancelled, expired). */
  private keep(b: ActiveBatch, line: number, ok: boolean, json: string, ran = true): void {
    b.buffer.push({ line, ok, json });
    if (ok) b.doc.requestCounts.completed++;
    else b.doc.requestCounts.failed++;
    if (!ran) b.doc.notRun = (b.doc.notRun ?? 0) + 1;
    this.deps.onLine?.(!ran ? 'not_run' : ok ? 'completed' : 'failed');
    if (b.buffer.length >= FLUSH_AT && !b.ending) void this.flush(b).catch(() => {});
  }

  /** Ends the batch once nothing is left to run, or it is ending and no line is in flight. */
  private checkEnd(b: ActiveBatch): void {
    if (b.lost || b.inFlight > 0 || !this.active.has(b.stored.id)) return;
    const left = b.pending.length + b.deferred.length;
    if (left > 0 && !b.ending) return;
    if (this.deps.forwarder?.holding(b)) return this.deps.forwarder.idle(b);
    void this.finish(b, b.ending ?? 'completed');
  }

  private async finish(b: ActiveBatch, ending: BatchEnding): Promise<void> {
    if (!this.active.delete(b.stored.id)) return;
    this.deps.forwarder?.drop(b);
    this.order = this.order.filter((id) => id !== b.stored.id);
    const done = this.writeEnd(b, ending);
    this.finishing.set(b.stored.id, done);
    await done;
    this.finishing.delete(b.stored.id);
    this.wake();
  }

  private async writeEnd(b: ActiveBatch, ending: BatchEnding): Promise<void> {
    try {
      const unrun = [...b.pending, ...b.deferred.map((d) => d.line)];
      const code = ending === 'expired' ? 'batch_expired' : 'batch_cancelled';
      const why =
        ending === 'expired'
          ? 'The batch was not finished within its completion window.'
          : 'The batch was cancelled before this request ran.';
      for (const i of unrun) {
        // A held line's prompt check at a priced moderation deployment: in a record of its own.
        const recorded = this.deps.forwarder?.recordUnrun(
          b,
          i,
          ending === 'expired' ? 'expired' : 'cancelled',
        );
        const id = recorded ?? newId('batch_req_');
        this.keep(b, i, false, unansweredLine(id, b.lines[i]!, code, why), false);
      }
      await this.flush(b);
      const { store, clock } = this.deps;
      const end = batchEnd(this.deps, b.stored, ending);
      await finishBatch(store, this.worker, b.stored, b.doc, ending, clock, end);
      this.deps.log.info(`batches: ${b.stored.id} ${ending}`);
    } catch (err) {
      // The lease runs out and another replica (or this one) takes the batch up again.
      this.deps.log.warn(`batches: could not finish ${b.stored.id}: ${(err as Error).message}`);
    }
  }

  /** Writes the lines kept so far, then the counts (`docToo`: even with no line); a batch whose
   * lease went to another replica is dropped. */
  private flush(b: ActiveBatch, docToo = false): Promise<void> {
    return writeKept(this.deps.store, this.worker, b, docToo, () => this.lose(b));
  }

  private async flushAll(): Promise<void> {
    for (const b of this.active.values())
      await this.flush(b).catch((err: Error) =>
        this.deps.log.warn(`batches: ${b.stored.id}: ${err.message}`),
      );
  }

  private async renewLeases(): Promise<void> {
    const until = this.deps.clock.now() + this.leaseMs;
    for (const id of [...this.finishing.keys()])
      await this.deps.store.renewLease(id, this.worker, until).catch((err: Error) => {
        this.deps.log.warn(`batches: could not renew ${id}: ${err.message}`);
      });
    for (const b of [...this.active.values()]) {
      try {
        const lease = await this.deps.store.renewLease(b.stored.id, this.worker, until);
        if (!lease.held) this.lose(b);
        else if (lease.cancelRequestedAt !== undefined && !b.ending) {
          b.ending = 'cancelled';
          this.checkEnd(b);
        }
      } catch (err) {
        this.deps.log.warn(`batches: could not renew ${b.stored.id}: ${(err as Error).message}`);
      }
    }
    this.pump();
  }

  private lose(b: ActiveBatch): void {
    b.lost = true;
    this.deps.forwarder?.drop(b);
    this.active.delete(b.stored.id);
    this.order = this.order.filter((id) => id !== b.stored.id);
    this.deps.log.warn(`batches: ${b.stored.id} is now run by another replica`);
  }
}
