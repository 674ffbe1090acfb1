// Submitting one run of a deployment's held lines as an upstream batch, so that no line is paid
// twice: the group (with its id, which tags the upstream batch) is saved in the batch's doc
// before the submit begins, so a replica that takes over mid-submit looks the batch up rather than
// sending its lines again. A submit the upstream surely refused (UpstreamBatchNotCreated: a failed
// upload, a 4xx on create) sends the lines live at once; one whose outcome is unknown (a
// timeout, a dropped connection, a 5xx on create) leaves the group to be looked up for
// `batches.forwardLookupMs` (look-up-group.ts) before its lines may run live.
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import { newId } from '../../core/ids.js';
import { UpstreamBatchNotCreated } from '../../providers/batch-not-created.js';
import type { ProviderBatchApi, UpstreamBatchTag } from '../../providers/types.js';
import { groupKey, upstreamLineId, type ForwardGroup } from './forward-doc.js';
import type { Collected, ForwardSteps, Held } from './forwarder-types.js';
import { upstreamAccount } from './upstream-apis.js';

/** The tag of `group` of `h`'s batch (what its upstream batch is found by). */
export function groupTag(h: Held, group: ForwardGroup): UpstreamBatchTag {
  return {
    batchId: h.b.stored.id,
    groupId: group.groupId ?? '',
    since: group.submittedAt,
    lines: group.lines.length,
    known: h.doc.groups.flatMap((g) => (g !== group && g.upstreamId ? [g.upstreamId] : [])),
  };
}

/** Submits `run` (lines of deployment `d`, held in `h`) to `api` as one upstream batch. */
export async function submitGroup(
  steps: ForwardSteps,
  h: Held,
  d: DeploymentConfig,
  api: ProviderBatchApi,
  run: Collected[],
): Promise<void> {
  const { deps, hooks } = steps;
  const b = h.b;
  const group: ForwardGroup = {
    deployment: d.name,
    groupId: newId('g', 9),
    account: upstreamAccount(d),
    submittedAt: deps.clock.now(),
    lines: run.map((c) => c.meta),
  };
  const key = groupKey(group);
  h.doc.groups.push(group);
  h.under.set(key, { deployment: d, api });
  const forget = () => {
    h.doc.groups = h.doc.groups.filter((g) => g !== group);
    h.under.delete(key);
  };
  try {
    await hooks?.save(b);
  } catch (err) {
    // Not recorded, so not submitted: the lines wait for the next try.
    forget();
    h.collected.set(d.name, [...run, ...(h.collected.get(d.name) ?? [])]);
    h.collectedBytes.set(
      d.name,
      (h.collectedBytes.get(d.name) ?? 0) + run.reduce((n, c) => n + c.bytes, 0),
    );
    throw err;
  }
  // The lease went elsewhere while saving: the replica that has it plans these lines again.
  if (b.lost) return;
  const where = `batches: ${b.stored.id}: ${run.length} lines for ${d.name}'s Batch API (group ${key})`;
  try {
    group.upstreamId = await api.submit(
      run.map((c) => ({ customId: upstreamLineId(group, c.meta.line), body: c.planned.body })),
      groupTag(h, group),
      AbortSignal.timeout(d.timeoutMs),
    );
  } catch (err) {
    if (err instanceof UpstreamBatchNotCreated) {
      deps.log.warn(`${where}: refused (${err.message}); they run live`);
      forget();
      steps.backToRunner(
        h,
        run.map((c) => c.meta),
        true,
      );
    } else {
      const lookupMs = deps.config.current.config.batches.forwardLookupMs;
      group.lookUpUntil = deps.clock.now() + lookupMs;
      h.lastPolled.set(key, deps.clock.now());
      deps.log.warn(
        `${where}: the submit's outcome is unknown (${(err as Error).message}); the upstream is asked for the batch for up to ${Math.round(lookupMs / 1000)} s before they run live`,
      );
    }
    await hooks?.save(b);
    return;
  }
  h.lastPolled.set(key, deps.clock.now());
  deps.log.info(`${where}: sent as ${group.upstreamId}`);
  await hooks?.save(b);
}
