// Sends a batch's chat lines to upstream Batch APIs (`batches.forward: when-available`, or the
// batch's `x-router-batch-forward` header). Each line is planned by the gateway as any line is
// (batch-caller.ts carries this forwarder's offer): a line whose first choice is a deployment with
// `batchApi` is held here instead of being called. Held lines are collected per deployment and
// submitted once the batch has no line left to plan (or a deployment's limit is reached, or they
// waited a poll interval), polled every `batches.forwardPollMs` (a failed poll is retried with
// backoff), and mapped back to their lines when the upstream batch ends: answers to the output or
// error file and the request log (at the discounted price), lines with no answer or a retryable
// one back to the runner to run live. Which lines went where is in the batch's doc, so a replica
// that takes the batch over polls instead of resubmitting. A cancel or expiry of the batch
// cancels its upstream batches.
import { batchApiLimits, type DeploymentConfig } from '../../config/deployment-schema.js';
import type { PlannedBatchLine } from '../../gateway/gateway-types.js';
import type { ProviderBatchApi } from '../../providers/types.js';
import type { ActiveBatch } from '../active-batch.js';
import { endpointRoute, RUN_ENDPOINTS } from '../batch-input.js';
import { FORWARD_HEADER } from '../line-controls.js';
import {
  forwardedLine,
  judgeUpstreamResults,
  pollDelay,
  runsToSubmit,
  upstreamLineId,
  type ForwardGroup,
} from './forward-doc.js';
import { keepUpstreamAnswer } from './keep-upstream-answer.js';
import type {
  Collected,
  ForwarderDeps,
  ForwarderHooks,
  Held,
  LineOffer,
} from './forwarder-types.js';

export type { ForwarderDeps, ForwarderHooks, LineOffer } from './forwarder-types.js';

/** A JSONL line's bytes besides its body (`custom_id`, `method`, `url`). */
const LINE_OVERHEAD = 100;
export class BatchForwarder {
  private hooks: ForwarderHooks | undefined;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ForwarderDeps) {}

  bind(hooks: ForwarderHooks): void {
    this.hooks = hooks;
  }

  start(): void {
    const every = this.deps.config.current.config.batches.forwardPollMs;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /** Stops polling; resolves once the upstream work under way has ended (a submit is saved). */
  stop(): Promise<void> {
    clearInterval(this.timer);
    return Promise.all([...this.held.values()].map((h) => h.work)).then(() => {});
  }

  /** The offer for line `index` of `b`, when `b` forwards and the line has not come back live. */
  offer(b: ActiveBatch, index: number, requestId: string): LineOffer | undefined {
    if (b.ending || !this.forwards(b) || this.state(b).live.has(index)) return undefined;
    const offer: LineOffer = {
      taken: false,
      accepts: (d) => this.batchApi(d) !== undefined,
      hold: (planned) => {
        offer.taken = true;
        this.hold(b, index, requestId, planned);
      },
    };
    return offer;
  }

  /** Lines of `b` held here: collected, or in an upstream batch. */
  holding(b: ActiveBatch): number {
    const h = this.held.get(b.stored.id);
    if (!h) return 0;
    let n = 0;
    for (const list of h.collected.values()) n += list.length;
    for (const g of h.doc.groups) n += g.lines.length;
    return n;
  }

  /**
   * A batch just loaded (new, or taken over): its lines in upstream batches (those with no kept
   * result) leave `pending`, and are polled for.
   */
  resume(b: ActiveBatch): void {
    const doc = b.doc.forward;
    if (!doc || doc.groups.length === 0) return;
    const pending = new Set(b.pending);
    for (const g of doc.groups) g.lines = g.lines.filter((l) => pending.has(l.line));
    doc.groups = doc.groups.filter((g) => g.lines.length > 0);
    const upstream = new Set(doc.groups.flatMap((g) => g.lines.map((l) => l.line)));
    b.pending = b.pending.filter((i) => !upstream.has(i));
    this.state(b);
  }

  /** Nothing of `b` is left to plan or in flight: submit what is collected (or, ending, cancel). */
  idle(b: ActiveBatch): void {
    const h = this.held.get(b.stored.id);
    if (!h) return;
    if (b.ending) {
      if (h.collected.size > 0 || h.doc.groups.some((g) => !g.cancelSent))
        this.step(h, () => this.cancelAll(h));
    } else if (h.collected.size > 0) this.step(h, () => this.submitAll(h, () => true));
  }

  /** Forgets `b` (finished, or run by another replica now). */
  drop(b: ActiveBatch): void {
    this.held.delete(b.stored.id);
  }

  private forwards(b: ActiveBatch): boolean {
    const mode =
      b.doc.controls?.[FORWARD_HEADER] ?? this.deps.config.current.config.batches.forward;
    return (
      mode === 'when-available' &&
      endpointRoute(RUN_ENDPOINTS, b.doc.endpoint) === '/v1/chat/completions'
    );
  }

  private batchApi(d: DeploymentConfig | undefined): ProviderBatchApi | undefined {
    if (!d?.batchApi?.enabled) return undefined;
    return this.deps.adapters.adapterFor(d).batchApi;
  }

  private state(b: ActiveBatch): Held {
    let h = this.held.get(b.stored.id);
    if (!h) {
      const doc = (b.doc.forward ??= { groups: [], live: [] });
      h = {
        b,
        doc,
        live: new Set(doc.live),
        collected: new Map(),
        collectedBytes: new Map(),
        lastPolled: new Map(),
        pollFailures: new Map(),
        work: Promise.resolve(),
        queued: false,
      };
      this.held.set(b.stored.id, h);
    }
    return h;
  }

  private hold(b: ActiveBatch, index: number, requestId: string, planned: PlannedBatchLine): void {
    const h = this.state(b);
    const d = planned.deployment;
    const meta = forwardedLine(index, requestId, planned);
    const bytes = Buffer.byteLength(JSON.stringify(planned.body)) + LINE_OVERHEAD;
    const list = h.collected.get(d.name) ?? [];
    list.push({ planned, meta, bytes, at: this.deps.clock.now() });
    h.collected.set(d.name, list);
    const total = (h.collectedBytes.get(d.name) ?? 0) + bytes;
    h.collectedBytes.set(d.name, total);
    const { maxLines, maxMegabytes } = batchApiLimits(d);
    if (list.length >= maxLines || total >= maxMegabytes * 1e6)
      this.step(h, () => this.submitAll(h, (name) => name === d.name, true));
  }

  /** Runs `fn` after the batch's upstream work before it. */
  private step(h: Held, fn: () => Promise<void>): void {
    h.work = h.work
      .then(fn)
      .catch((err: Error) => this.deps.log.warn(`batches: ${h.b.stored.id}: ${err.message}`));
  }

  private tick(): void {
    const now = this.deps.clock.now();
    const every = this.deps.config.current.config.batches.forwardPollMs;
    for (const h of this.held.values()) {
      if (h.queued) continue;
      if (h.b.lost) {
        this.held.delete(h.b.stored.id);
        continue;
      }
      h.queued = true;
      this.step(h, async () => {
        h.queued = false;
        const b = h.b;
        if (!b.ending && now >= b.doc.expiresAt) this.hooks?.expire(b);
        if (b.ending) await this.cancelAll(h);
        // Every line planned, or some held a poll interval: submit (a batch planned slowly is
        // not held back by its last lines).
        else
          await this.submitAll(
            h,
            (name) =>
              (b.pending.length === 0 && b.inFlight === 0) ||
              (h.collected.get(name)?.some((c) => now - c.at >= every) ?? false),
          );
        await this.pollAll(h, now, every);
      });
    }
  }

  /**
   * Submits the collected lines of the deployments `which` picks, cut to their limits;
   * `fullOnly`: a last run below the limits stays collected (more lines may join it).
   */
  private async submitAll(
    h: Held,
    which: (deployment: string) => boolean,
    fullOnly = false,
  ): Promise<void> {
    for (const [name, list] of [...h.collected]) {
      if (!which(name) || list.length === 0) continue;
      h.collected.delete(name);
      h.collectedBytes.delete(name);
      const d = this.deps.config.current.deployments.get(name);
      const limits = d ? batchApiLimits(d) : { maxLines: 50_000, maxMegabytes: 200 };
      const { runs, rest } = runsToSubmit(
        list,
        limits.maxLines,
        limits.maxMegabytes * 1e6,
        fullOnly,
      );
      if (rest.length > 0) {
        h.collected.set(name, rest);
        h.collectedBytes.set(
          name,
          rest.reduce((n, c) => n + c.bytes, 0),
        );
      }
      for (const run of runs) await this.submit(h, name, d, run);
    }
  }

  private async submit(
    h: Held,
    name: string,
    d: DeploymentConfig | undefined,
    run: Collected[],
  ): Promise<void> {
    const b = h.b;
    const api = this.batchApi(d);
    if (b.ending || !api)
      return this.backToRunner(
        h,
        run.map((c) => c.meta.line),
        !b.ending,
      );
    let upstreamId: string;
    try {
      upstreamId = await api.submit(
        run.map((c) => ({ customId: upstreamLineId(c.meta.line), body: c.planned.body })),
        AbortSignal.timeout(d!.timeoutMs),
      );
    } catch (err) {
      this.deps.log.warn(
        `batches: ${b.stored.id}: ${name}'s Batch API refused ${run.length} lines (${(err as Error).message}); they run live`,
      );
      return this.backToRunner(
        h,
        run.map((c) => c.meta.line),
        true,
      );
    }
    h.doc.groups.push({
      deployment: name,
      upstreamId,
      submittedAt: this.deps.clock.now(),
      lines: run.map((c) => c.meta),
    });
    h.lastPolled.set(upstreamId, this.deps.clock.now());
    this.deps.log.info(
      `batches: ${b.stored.id}: ${run.length} lines sent to ${name}'s Batch API as ${upstreamId}`,
    );
    await this.hooks?.save(b);
  }

  private async pollAll(h: Held, now: number, every: number): Promise<void> {
    for (const group of [...h.doc.groups]) {
      const failures = h.pollFailures.get(group.upstreamId) ?? 0;
      const last = h.lastPolled.get(group.upstreamId) ?? 0;
      if (now - last < pollDelay(every, failures)) continue;
      h.lastPolled.set(group.upstreamId, now);
      const d = this.deps.config.current.deployments.get(group.deployment);
      const api = this.batchApi(d);
      if (!api) {
        this.deps.log.warn(
          `batches: ${h.b.stored.id}: ${group.deployment} no longer has a Batch API; its lines in ${group.upstreamId} run live`,
        );
        await this.finishGroup(h, group, []);
        continue;
      }
      try {
        const state = await api.poll(group.upstreamId, AbortSignal.timeout(d!.timeoutMs));
        h.pollFailures.delete(group.upstreamId);
        if (state.done) await this.finishGroup(h, group, state.results);
      } catch (err) {
        await this.pollFailed(h, group, err as Error, failures + 1, every);
      }
    }
  }

  /** A poll failed: the upstream batch may still run (and be paid for), so its lines wait and
   * the poll is retried with backoff, whatever the error (a 404 for the batch is no failure: it
   * ends with no results). A batch that is ending (its cancel sent, best-effort) does not wait:
   * its lines end as not run. */
  private async pollFailed(
    h: Held,
    group: ForwardGroup,
    err: Error,
    failures: number,
    every: number,
  ): Promise<void> {
    const where = `${h.b.stored.id}: ${group.upstreamId} at ${group.deployment}`;
    if (h.b.ending) {
      this.deps.log.warn(
        `batches: ${where} could not be read (${err.message}); the batch is ending, its lines are not run`,
      );
      return this.finishGroup(h, group, []);
    }
    h.pollFailures.set(group.upstreamId, failures);
    this.deps.log.warn(
      `batches: ${where} could not be read (${err.message}; ${failures} in a row); its lines wait, next try in ${Math.round(pollDelay(every, failures) / 1000)} s`,
    );
  }

  /** Cancels the batch's upstream batches (they end, with what they did, at a later poll). */
  private async cancelAll(h: Held): Promise<void> {
    const collected = [...h.collected.values()].flat().map((c) => c.meta.line);
    h.collected.clear();
    h.collectedBytes.clear();
    if (collected.length > 0) this.backToRunner(h, collected, false);
    let sent = false;
    for (const group of h.doc.groups) {
      if (group.cancelSent) continue;
      const d = this.deps.config.current.deployments.get(group.deployment);
      try {
        await this.batchApi(d)?.cancel(group.upstreamId, AbortSignal.timeout(d!.timeoutMs));
        group.cancelSent = true;
        sent = true;
      } catch (err) {
        this.deps.log.warn(
          `batches: ${h.b.stored.id}: could not cancel ${group.upstreamId} at ${group.deployment}: ${(err as Error).message}`,
        );
      }
    }
    if (sent) await this.hooks?.save(h.b);
    if (collected.length > 0) this.hooks?.checkEnd(h.b);
  }

  /** An upstream batch ended: its answers are kept and recorded, the rest go back to the runner. */
  private async finishGroup(
    h: Held,
    group: ForwardGroup,
    results: Parameters<typeof judgeUpstreamResults>[1],
  ): Promise<void> {
    const b = h.b;
    h.doc.groups = h.doc.groups.filter((g) => g !== group);
    h.lastPolled.delete(group.upstreamId);
    h.pollFailures.delete(group.upstreamId);
    const deployment = this.deps.config.current.deployments.get(group.deployment);
    const caller = this.deps.callerFor(b.doc.keyId, b.stored.owner);
    const back: number[] = [];
    for (const judged of judgeUpstreamResults(group, results)) {
      const line = judged.line;
      if (judged.outcome.kind === 'live' || !deployment) {
        back.push(line.line);
        continue;
      }
      await keepUpstreamAnswer(this.deps, (ok, json) => this.hooks?.keep(b, line.line, ok, json), {
        b,
        group,
        line,
        deployment,
        top: this.deps.config.current.deployments.get(line.top) ?? deployment,
        caller,
        answer: judged.outcome,
      });
    }
    this.deps.log.info(
      `batches: ${b.stored.id}: ${group.upstreamId} at ${group.deployment} ended (${group.lines.length - back.length} answered, ${back.length} back)`,
    );
    if (back.length > 0) this.backToRunner(h, back, !b.ending);
    await this.hooks?.save(b);
    this.hooks?.checkEnd(b);
  }

  /** Lines back to the runner; `live`: never to be forwarded again (they run live). */
  private backToRunner(h: Held, lines: number[], live: boolean): void {
    if (live)
      for (const i of lines)
        if (!h.live.has(i)) {
          h.live.add(i);
          h.doc.live.push(i);
        }
    this.hooks?.requeue(h.b, lines);
  }
}
