// Reading a batch's upstream batches, every `batches.forwardPollMs`: a group with an upstream id is
// polled (its results kept once it ends), one without is looked up (look-up-group.ts). Each is read
// where it was submitted (upstream-apis.ts), so a config reload that removes its deployment does
// not send its lines live; a group with nowhere known to be read waits, never live. A failing read
// is retried with backoff, whatever the error, since the upstream batch may still run and be paid
// for; a batch that is ending does not wait for one (its cancel is best-effort).
import { groupKey, pollDelay, type ForwardGroup } from './forward-doc.js';
import type { ForwardSteps, Held } from './forwarder-types.js';
import { lookUpGroup } from './look-up-group.js';
import type { UpstreamApis } from './upstream-apis.js';

/** Polls (or looks up) each group of `h` whose turn it is at `now`. */
export async function pollGroups(
  steps: ForwardSteps,
  apis: UpstreamApis,
  h: Held,
  now: number,
  every: number,
): Promise<void> {
  for (const group of [...h.doc.groups]) {
    const key = groupKey(group);
    const failures = h.pollFailures.get(key) ?? 0;
    const last = h.lastPolled.get(key) ?? 0;
    if (now - last < pollDelay(every, failures)) continue;
    h.lastPolled.set(key, now);
    const at = apis.of(h, group);
    if (!at) {
      noUpstream(steps, h, group, failures);
      if (h.b.ending) await steps.finishGroup(h, group, []);
      continue;
    }
    if (group.upstreamId === undefined) {
      await lookUpGroup(steps, h, group, at, failures);
      continue;
    }
    try {
      const state = await at.api.poll(
        group.upstreamId,
        AbortSignal.timeout(at.deployment.timeoutMs),
      );
      h.pollFailures.delete(key);
      if (state.done) await steps.finishGroup(h, group, state.results);
    } catch (err) {
      await pollFailed(steps, h, group, err as Error, failures + 1, every);
    }
  }
}

/** No deployment here can read `group` (removed, or at another account): its lines wait. */
function noUpstream(steps: ForwardSteps, h: Held, group: ForwardGroup, failures: number): void {
  const where = `batches: ${h.b.stored.id}: ${group.upstreamId ?? `group ${groupKey(group)}`}`;
  if (h.b.ending) {
    steps.deps.log.warn(
      `${where}: no deployment "${group.deployment}" at its upstream account is configured here; the batch is ending, its lines are not run`,
    );
    return;
  }
  h.pollFailures.set(groupKey(group), failures + 1);
  steps.deps.log.warn(
    `${where}: no deployment "${group.deployment}" at its upstream account is configured here; its ${group.lines.length} lines wait (not live: the upstream batch may still run) until one is, or the batch is cancelled or expires`,
  );
}

/** A poll failed: its lines wait and the poll is retried with backoff (a 404 is no failure: it
 * ends with no results). A batch that is ending does not wait: its lines end as not run. */
async function pollFailed(
  steps: ForwardSteps,
  h: Held,
  group: ForwardGroup,
  err: Error,
  failures: number,
  every: number,
): Promise<void> {
  const where = `${h.b.stored.id}: ${group.upstreamId} at ${group.deployment}`;
  if (h.b.ending) {
    steps.deps.log.warn(
      `batches: ${where} could not be read (${err.message}); the batch is ending, its lines are not run`,
    );
    return steps.finishGroup(h, group, []);
  }
  h.pollFailures.set(groupKey(group), failures);
  steps.deps.log.warn(
    `batches: ${where} could not be read (${err.message}; ${failures} in a row); its lines wait, next try in ${Math.round(pollDelay(every, failures) / 1000)} s`,
  );
}

/** Cancels `h`'s upstream batches (they end, with what they did, at a later poll); a group still
 * being looked up is cancelled once found. */
export async function cancelGroups(
  steps: ForwardSteps,
  apis: UpstreamApis,
  h: Held,
): Promise<void> {
  const collected = [...h.collected.values()].flat().map((c) => c.meta);
  h.collected.clear();
  h.collectedBytes.clear();
  if (collected.length > 0) steps.backToRunner(h, collected, false);
  let sent = false;
  for (const group of h.doc.groups) {
    if (group.cancelSent || group.upstreamId === undefined) continue;
    const at = apis.of(h, group);
    if (!at) continue;
    try {
      await at.api.cancel(group.upstreamId, AbortSignal.timeout(at.deployment.timeoutMs));
      group.cancelSent = true;
      sent = true;
    } catch (err) {
      steps.deps.log.warn(
        `batches: ${h.b.stored.id}: could not cancel ${group.upstreamId} at ${group.deployment}: ${(err as Error).message}`,
      );
    }
  }
  if (sent) await steps.hooks?.save(h.b);
  if (collected.length > 0) steps.hooks?.checkEnd(h.b);
}
