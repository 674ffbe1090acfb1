// Sends a batch's chat lines to upstream Batch APIs (`batches.forward: when-available`, or the
// batch's `x-router-batch-forward` header). Each line is planned by the gateway as any line is
// (batch-caller.ts carries this forwarder's offer): a line whose first choice is a deployment with
// `batchApi` is held here instead of being called. Held lines are collected per deployment and
// submitted once the batch has no line left to plan (or a deployment's limit is reached, or they
// waited a poll interval), polled every `batches.forwardPollMs` (a failed poll is retried with
// backoff), and mapped back to their lines when the upstream batch ends: answers to the output or
// error file and the request log (at the discounted price), lines with no answer or a retryable
// one back to the runner to run live. Which lines went where is in the batch's doc (each group
// before its submit begins), so a replica that takes the batch over polls, or looks up, instead of
// resubmitting. No line may be paid twice, so a line in an upstream batch (or in one whose creation
// had an unknown outcome) runs live only once the upstream has said it will not answer it:
// submit-group.ts, look-up-group.ts, poll-groups.ts, upstream-apis.ts. A cancel or expiry of the
// batch cancels its upstream batches.
import { batchApiLimits } from '../../config/deployment-kinds.js';
import type { PlannedBatchLine } from '../../gateway/gateway-types.js';
import type { ProviderBatchResult } from '../../providers/types.js';
import type { AttemptRecord } from '../../store/request-record.js';
import type { ActiveBatch } from '../active-batch.js';
import { endpointRoute, RUN_ENDPOINTS } from '../batch-input.js';
import { FORWARD_HEADER } from '../line-controls.js';
import {
  forwardedLine,
  groupKey,
  judgeUpstreamResults,
  runsToSubmit,
  type CarriedLine,
  type ForwardedLine,
  type ForwardGroup,
} from './forward-doc.js';
import { keepUpstreamAnswer } from './keep-upstream-answer.js';
import { recordUnrunLine } from './record-forwarded.js';
import type {
  ForwarderDeps,
  ForwarderHooks,
  ForwardSteps,
  Held,
  LineOffer,
} from './forwarder-types.js';
import { cancelGroups, pollGroups } from './poll-groups.js';
import { submitGroup } from './submit-group.js';
import { batchApiFor, UpstreamApis } from './upstream-apis.js';

export type { ForwarderDeps, ForwarderHooks, LineOffer } from './forwarder-types.js';

/** A JSONL line's bytes besides its body (`custom_id`, `method`, `url`). */
const LINE_OVERHEAD = 100;
/** Lines of this replica's forwarding batches, per deployment, by where they wait. */
export interface ForwardWaiting {
  deployment: string;
  /** `collected`: held here, not yet submitted; `submitting`: in a submit or a look-up after one
   * whose outcome is unknown; `upstream`: in an upstream batch. */
  state: 'collected' | 'submitting' | 'upstream';
  lines: number;
}

export class BatchForwarder implements ForwardSteps {
  hooks: ForwarderHooks | undefined;
  private readonly held = new Map<string, Held>();
  private readonly apis: UpstreamApis;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly deps: ForwarderDeps) {
    this.apis = new UpstreamApis(deps);
  }

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
      accepts: (d) => batchApiFor(this.deps, d) !== undefined,
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

  /** The lines waiting in this replica's forwarding batches, per deployment and state. */
  waiting(): ForwardWaiting[] {
    const counts = new Map<string, ForwardWaiting>();
    const add = (deployment: string, state: ForwardWaiting['state'], lines: number) => {
      const k = `${deployment}\n${state}`;
      const c = counts.get(k) ?? { deployment, state, lines: 0 };
      c.lines += lines;
      counts.set(k, c);
    };
    for (const h of this.held.values()) {
      for (const [name, list] of h.collected) add(name, 'collected', list.length);
      for (const g of h.doc.groups)
        add(g.deployment, g.upstreamId ? 'upstream' : 'submitting', g.lines.length);
    }
    return [...counts.values()];
  }

  /**
   * A batch just loaded (new, or taken over): its lines in upstream batches (those with no kept
   * result) leave `pending`, and are polled for; a group found with no upstream id (the replica
   * before died during its submit) is looked up for `batches.forwardLookupMs` before its lines
   * may run live.
   */
  resume(b: ActiveBatch): void {
    const doc = b.doc.forward;
    if (!doc || doc.groups.length === 0) return;
    const pending = new Set(b.pending);
    const now = this.deps.clock.now();
    const lookupMs = this.deps.config.current.config.batches.forwardLookupMs;
    for (const g of doc.groups) {
      g.lines = g.lines.filter((l) => pending.has(l.line));
      if (g.upstreamId === undefined) g.lookUpUntil = Math.max(g.lookUpUntil ?? 0, now + lookupMs);
    }
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
        this.step(h, () => cancelGroups(this, this.apis, h));
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
        under: new Map(),
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
        if (b.ending) await cancelGroups(this, this.apis, h);
        // Every line planned, or some held a poll interval: submit (a batch planned slowly is
        // not held back by its last lines).
        else
          await this.submitAll(
            h,
            (name) =>
              (b.pending.length === 0 && b.inFlight === 0) ||
              (h.collected.get(name)?.some((c) => now - c.at >= every) ?? false),
          );
        await pollGroups(this, this.apis, h, now, every);
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
      const api = batchApiFor(this.deps, d);
      for (const run of runs) {
        // No Batch API now (the config changed since they were held), or the batch is ending:
        // nothing of them went upstream, so they may run live (or, ending, end unrun).
        if (h.b.ending || !api || !d)
          this.backToRunner(
            h,
            run.map((c) => c.meta),
            !h.b.ending,
          );
        else await submitGroup(this, h, d, api, run);
      }
    }
  }

  /**
   * An upstream batch ended (or none was made): its answers are kept and recorded at the config it
   * was read under, the rest go back to the runner. Results with custom_ids of another group (a
   * look-up that adopted the wrong batch) are not this group's: its lines run live.
   */
  async finishGroup(
    h: Held,
    group: ForwardGroup,
    results: readonly ProviderBatchResult[],
  ): Promise<void> {
    const b = h.b;
    const key = groupKey(group);
    h.doc.groups = h.doc.groups.filter((g) => g !== group);
    h.lastPolled.delete(key);
    h.pollFailures.delete(key);
    const deployment =
      h.under.get(key)?.deployment ?? this.deps.config.current.deployments.get(group.deployment);
    h.under.delete(key);
    const prefix = `${group.groupId}-line-`;
    const foreign = group.groupId ? results.filter((r) => !r.customId.startsWith(prefix)) : [];
    if (foreign.length > 0)
      this.deps.log.warn(
        `batches: ${b.stored.id}: ${group.upstreamId} has ${foreign.length} results of another group than ${key}; they are not taken`,
      );
    const caller = this.deps.callerFor(b.doc.keyId, b.stored.owner);
    const back: ForwardedLine[] = [];
    for (const judged of judgeUpstreamResults(group, results)) {
      const line = judged.line;
      if (judged.outcome.kind === 'live' || !deployment) {
        back.push(line);
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
      `batches: ${b.stored.id}: ${group.upstreamId ?? `group ${key}`} at ${group.deployment} ended (${group.lines.length - back.length} answered, ${back.length} back)`,
    );
    if (back.length > 0) this.backToRunner(h, back, !b.ending);
    await this.hooks?.save(b);
    this.hooks?.checkEnd(b);
  }

  /**
   * Lines back to the runner; `live`: never to be forwarded again (they run live), else the batch
   * is ending (they end unrun). Each keeps the filter's calls on its prompt (ForwardDoc.carried),
   * for its first live run's record or, ending unrun, a record of its own (`recordUnrun`).
   */
  backToRunner(h: Held, lines: readonly ForwardedLine[], live: boolean): void {
    for (const l of lines) {
      if (live) {
        if (h.live.has(l.line)) continue;
        h.live.add(l.line);
        h.doc.live.push(l.line);
      }
      if (l.filterCalls?.length && !h.doc.carried?.some((c) => c.line === l.line))
        (h.doc.carried ??= []).push({ ...l, filterCalls: l.filterCalls });
    }
    this.hooks?.requeue(
      h.b,
      lines.map((l) => l.line),
    );
  }

  /** The filter's calls carried by line `index` of `b` back to run live (once), if any. */
  takeCarried(b: ActiveBatch, index: number): AttemptRecord[] | undefined {
    return this.take(b, index)?.filterCalls;
  }

  /**
   * Line `index` of `b` ends unrun (`ending`): if it carries the filter's calls on its prompt, a
   * record of its own counts them (record-forwarded.ts `recordUnrunLine`), and its request id is
   * returned for the error file's line, so the two name each other.
   */
  recordUnrun(b: ActiveBatch, index: number, ending: 'cancelled' | 'expired'): string | undefined {
    const carried = this.take(b, index);
    if (!carried) return undefined;
    const caller = this.deps.callerFor(b.doc.keyId, b.stored.owner);
    return recordUnrunLine(this.deps, {
      tenant: b.stored.owner,
      ...(b.doc.keyId !== undefined ? { keyId: b.doc.keyId } : {}),
      ...('error' in caller ? {} : { auth: caller }),
      line: carried,
      deployment: this.deps.config.current.deployments.get(carried.top ?? ''),
      ending,
    });
  }

  private take(b: ActiveBatch, index: number): CarriedLine | undefined {
    const carried = b.doc.forward?.carried;
    const i = carried?.findIndex((c) => c.line === index) ?? -1;
    return i < 0 ? undefined : carried!.splice(i, 1)[0];
  }
}
