// Looking up the upstream batch of a group whose submit had an unknown outcome (submit-group.ts),
// or that a replica taking the batch over found with no upstream id (the replica before died
// during the submit). Each poll asks the upstream's list of batches (ProviderBatchApi.find): a batch
// found is adopted and polled from then on; none, at or after the group's `lookUpUntil`, sends the
// lines live (before it, the upstream may not list a new batch yet, or may still be creating it);
// a list that cannot be read keeps the lines waiting, as a failed poll does. A batch that is
// ending looks up as long, so the batch found is cancelled; if the list cannot be read, its lines
// end unrun.
import { groupKey, type ForwardGroup } from './forward-doc.js';
import type { ForwardSteps, Held, UpstreamAt } from './forwarder-types.js';
import { groupTag } from './submit-group.js';

/** One look-up of `group` at `at`; `failures`: look-ups of it that failed in a row before. */
export async function lookUpGroup(
  steps: ForwardSteps,
  h: Held,
  group: ForwardGroup,
  at: UpstreamAt,
  failures: number,
): Promise<void> {
  const { deps, hooks } = steps;
  const b = h.b;
  const key = groupKey(group);
  const where = `batches: ${b.stored.id}: group ${key} at ${group.deployment}`;
  const now = deps.clock.now();
  group.lookUpUntil ??= now + deps.config.current.config.batches.forwardLookupMs;
  let id: string | undefined;
  try {
    id = await at.api.find(groupTag(h, group), AbortSignal.timeout(at.deployment.timeoutMs));
  } catch (err) {
    if (b.ending) {
      deps.log.warn(
        `${where}: its upstream batch could not be looked up (${(err as Error).message}); the batch is ending, its lines are not run`,
      );
      return steps.finishGroup(h, group, []);
    }
    h.pollFailures.set(key, failures + 1);
    deps.log.warn(
      `${where}: its upstream batch could not be looked up (${(err as Error).message}; ${failures + 1} in a row); its lines wait`,
    );
    return;
  }
  h.pollFailures.delete(key);
  if (id !== undefined) {
    group.upstreamId = id;
    group.found = true;
    delete group.lookUpUntil;
    deps.log.info(`${where}: found its upstream batch ${id}; it is polled`);
    await hooks?.save(b);
    return;
  }
  if (now < group.lookUpUntil) return;
  deps.log.warn(
    `${where}: the upstream has no batch for it; its ${group.lines.length} lines run live`,
  );
  await steps.finishGroup(h, group, []);
}
