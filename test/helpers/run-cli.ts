// Runs the BUILT CLI (`./bin/model-router`) the way a user does, for e2e tests of its commands.
import { execFileSync } from 'node:child_process';

/** The command's stdout; a non-zero exit throws with its stderr. */
export function runCli(args: string[]): string {
  return execFileSync('./bin/model-router', args, { encoding: 'utf8' });
}

/** What `report --since 1h` prints for the config at `configPath` (`--json`: parsed). */
export function runReport(configPath: string, extra: string[] = [], json = true): unknown {
  const out = runCli([
    'report',
    '--since',
    '1h',
    ...extra,
    ...(json ? ['--json'] : []),
    '--config',
    configPath,
  ]);
  return json ? JSON.parse(out) : out;
}
