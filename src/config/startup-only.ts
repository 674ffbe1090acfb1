// Settings read once at start-up (the schema's descriptions say "Read at start-up"): a change to
// one, by a file reload or the admin API, is recorded but applies only after a restart, which the
// router says rather than reporting it applied.
import { referenceEntries } from './config-reference.js';

let startupPaths: readonly string[] | undefined;

/** The config paths (`server.trustProxy`, `deployments[].x`) read only at start-up. */
export function startupOnlyPaths(): readonly string[] {
  startupPaths ??= referenceEntries()
    .filter((e) => /read at start-?up/i.test(e.description ?? ''))
    .map((e) => e.path);
  return startupPaths;
}

/** The paths among `changes` (as a config version names them) that wait for a restart. */
export function waitingForRestart(changes: readonly { path: string }[]): string[] {
  const startup = startupOnlyPaths();
  return changes
    .map((c) => c.path)
    .filter((path) => {
      const generic = path.replace(/\[[^\]]*\]/g, '[]');
      return startup.some(
        (s) => generic === s || generic.startsWith(`${s}.`) || generic.startsWith(`${s}[`),
      );
    });
}

/** The warning for those paths, or undefined when none waits. */
export function restartWarning(changes: readonly { path: string }[]): string | undefined {
  const waiting = waitingForRestart(changes);
  if (waiting.length === 0) return undefined;
  return `${waiting.join(', ')} ${waiting.length === 1 ? 'is' : 'are'} read at start-up: the new value applies after a restart`;
}
