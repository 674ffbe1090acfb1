// Every command's `--help` (and `-h`, and `help <command>`) prints its usage, every option it
// accepts and an example, and exits 0; an unknown option is an error naming it, exit 2. Run as a
// user runs them: the built CLI, `./bin/model-router`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Each command, and the options its parser accepts (from its module, so HELP cannot drift). */
const COMMANDS: Record<string, () => Promise<Record<string, unknown>[]>> = {
  serve: async () => [(await import('../../src/cli/serve.js')).OPTIONS],
  'check-config': async () => [(await import('../../src/cli/check-config.js')).OPTIONS],
  'config-reference': async () => [(await import('../../src/cli/config-reference.js')).OPTIONS],
  train: async () => [(await import('../../src/cli/train.js')).OPTIONS],
  eval: async () => [(await import('../../src/cli/eval.js')).OPTIONS],
  calibrate: async () => [(await import('../../src/cli/calibrate.js')).OPTIONS],
  'calibrate-bands': async () => [(await import('../../src/cli/calibrate-bands.js')).OPTIONS],
  report: async () => [(await import('../../src/cli/report.js')).OPTIONS],
  simulate: async () => [(await import('../../src/cli/simulate.js')).OPTIONS],
  compare: async () => [(await import('../../src/cli/compare.js')).OPTIONS],
  distribution: async () => [(await import('../../src/cli/distribution.js')).OPTIONS],
  feedback: async () => [(await import('../../src/cli/feedback.js')).OPTIONS],
  keys: async () => [(await import('../../src/cli/keys.js')).OPTIONS],
  batches: async () => [
    (await import('../../src/cli/batches.js')).OPTIONS,
    (await import('../../src/cli/batch-webhooks.js')).WEBHOOKS_OPTIONS,
  ],
};

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/model-router', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });

describe('model-router <command> --help', () => {
  it.each(Object.keys(COMMANDS))('%s: usage, every option, an example; exit 0', async (name) => {
    const run = cli(name, '--help');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const help = run.stdout;
    expect(help).toMatch(new RegExp(`^usage:\\s+model-router ${name}\\b`));
    expect(help).toMatch(/\nexamples?:\n {2}model-router /);
    expect(help).toContain('-h, --help');
    for (const options of await COMMANDS[name]!())
      for (const option of Object.keys(options))
        expect(help, `${name} --help should describe --${option}`).toMatch(
          new RegExp(`--${option}\\b`),
        );
    // `-h`, after other options, and `help <command>` print the same.
    expect(cli(name, '--json', '-h').stdout).toBe(help);
    expect(cli('help', name).stdout).toBe(help);
  });

  it.each(Object.keys(COMMANDS))('%s: an unknown option is named, exit 2', (name) => {
    const run = cli(name, '--no-such-flag');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("'--no-such-flag'");
    expect(run.stdout).toBe('');
  });

  it('lists the commands, pointing at their --help', () => {
    const run = cli('--help');
    expect(run.status).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(run.stdout).toContain(`  ${name}`);
    expect(run.stdout).toContain('<command> --help');
  });
});
