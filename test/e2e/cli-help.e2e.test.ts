// Every command's `--help` (and `-h`, and `help <command>`) prints its usage, every option it
// accepts and an example, and exits 0; an unknown option is an error naming it, exit 2. Run as a
// user runs them: the built CLI, `./bin/model-router`. The README and docs give each command only
// options it accepts.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS as SUMMARIES } from '../../src/cli/main.js';

interface Command {
  help: string;
  /** The option sets its parsers accept. */
  options: Record<string, unknown>[];
}
const commandOf = (
  mod: { HELP: string; OPTIONS: Record<string, unknown> },
  ...more: Record<string, unknown>[]
): Command => ({ help: mod.HELP, options: [mod.OPTIONS, ...more] });

/** Each command, and the options its parser accepts (from its module, so HELP cannot drift). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => commandOf(await import('../../src/cli/serve.js')),
  'check-config': async () => commandOf(await import('../../src/cli/check-config.js')),
  'config-reference': async () => commandOf(await import('../../src/cli/config-reference.js')),
  'config-schema': async () => commandOf(await import('../../src/cli/config-schema.js')),
  train: async () => commandOf(await import('../../src/cli/train.js')),
  eval: async () => commandOf(await import('../../src/cli/eval.js')),
  calibrate: async () => commandOf(await import('../../src/cli/calibrate.js')),
  'calibrate-bands': async () => commandOf(await import('../../src/cli/calibrate-bands.js')),
  report: async () => commandOf(await import('../../src/cli/report.js')),
  simulate: async () => commandOf(await import('../../src/cli/simulate.js')),
  compare: async () => commandOf(await import('../../src/cli/compare.js')),
  distribution: async () => commandOf(await import('../../src/cli/distribution.js')),
  feedback: async () => commandOf(await import('../../src/cli/feedback.js')),
  keys: async () => commandOf(await import('../../src/cli/keys.js')),
  batches: async () =>
    commandOf(
      await import('../../src/cli/batches.js'),
      (await import('../../src/cli/batch-webhooks.js')).WEBHOOKS_OPTIONS,
    ),
};

/** The `usage:` block of a command's HELP: its forms, each with its continuation lines. */
function usageForms(help: string, name: string): string[] {
  const lines = help.split('\n');
  const forms: string[] = [];
  for (const line of lines.slice(
    0,
    lines.findIndex((l, i) => i > 0 && !/^\s/.test(l)),
  )) {
    const at = line.indexOf(`model-router ${name}`);
    if (at >= 0) forms.push(line.slice(at + 'model-router '.length));
    else if (forms.length) forms[forms.length - 1] += ` ${line.trim()}`;
  }
  return forms;
}

/** A form's words outside [brackets] and <placeholders>: its subcommand and required options. */
function requiredWords(form: string): string[] {
  let depth = 0;
  let outside = '';
  for (const c of form) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (depth === 0) outside += c;
  }
  return outside
    .replace(/<[^>]*>/g, ' ')
    .split(/\s+/)
    .filter((w) => /^(--)?[a-z][a-z-]*$/.test(w));
}

/** The `--option a|b|c` choice lists in a text, as `option a|b|c`. */
function choiceLists(text: string): string[] {
  return [...text.matchAll(/--([a-z-]+) ([a-z]+(?:\|[a-z]+)+)\b/g)].map((m) => `${m[1]} ${m[2]}`);
}

/** The built CLI run as a user runs it: its exit status and what it printed. */
const cli = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['bin/model-router', ...args],
      { encoding: 'utf8', timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = (err as { code?: unknown } | null)?.code;
        resolve({ status: err ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
      },
    );
  });

// Concurrent: each test waits on CLI processes (about 0.7 s each to start), which the machine's
// other core can run meanwhile.
describe.concurrent('model-router <command> --help', () => {
  it.each(Object.keys(COMMANDS))('%s: usage, every option, an example; exit 0', async (name) => {
    const [run, short, viaHelp] = await Promise.all([
      cli(name, '--help'),
      cli(name, '--json', '-h'),
      cli('help', name),
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const help = run.stdout;
    expect(help).toMatch(new RegExp(`^usage:\\s+model-router ${name}\\b`));
    expect(help).toMatch(/\nexamples?:\n {2}model-router /);
    expect(help).toContain('-h, --help');
    for (const options of (await COMMANDS[name]!()).options)
      for (const option of Object.keys(options))
        expect(help, `${name} --help should describe --${option}`).toMatch(
          new RegExp(`--${option}\\b`),
        );
    // `-h`, after other options, and `help <command>` print the same.
    expect(short.stdout).toBe(help);
    expect(viaHelp.stdout).toBe(help);
  });

  it.each(Object.keys(COMMANDS))('%s: an unknown option is named, exit 2', async (name) => {
    const run = await cli(name, '--no-such-flag');
    expect(run.status).toBe(2);
    // Every command in the same words: its name, the option, its forms, where --help is.
    expect(run.stderr).toMatch(
      new RegExp(`^model-router ${name}: Unknown option '--no-such-flag'\n`),
    );
    expect(run.stderr).toContain(`(model-router ${name} --help lists every option)`);
    expect(run.stderr).not.toContain('To specify a positional argument');
    expect(run.stdout).toBe('');
  });

  it('a negative number after an option that takes a value is its value, checked by the command', async () => {
    const run = await cli(
      'train',
      '--data',
      'a.jsonl',
      '--prices',
      'p.json',
      '--out',
      'x.json',
      '--seed',
      '-1',
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('model-router train: --seed must be a whole number ≥ 0');
    expect(run.stderr).not.toContain('ambiguous');
  });

  it.each(Object.keys(COMMANDS))(
    '%s: the top-level summary names its required forms, its options and choices as its --help does',
    async (name) => {
      const { help, options: sets } = await COMMANDS[name]!();
      const summary = SUMMARIES[name]!.forms;
      const options = new Set(sets.flatMap((o) => Object.keys(o)).concat('help'));
      // Each form of the command's usage, by its subcommand and required options, is summarised.
      const forms = usageForms(help, name);
      expect(forms.length, `${name} HELP has a usage block`).toBeGreaterThan(0);
      for (const form of forms) {
        const words = requiredWords(form);
        expect(
          summary.some((s) => words.every((w) => new RegExp(`(^|[\\s\\[|])${w}\\b`).test(s))),
          `the summary of ${name} should name the form "${words.join(' ')}" (${form})`,
        ).toBe(true);
      }
      // Every option the summary shows is one the command accepts, with the same choices.
      const helpChoices = choiceLists(help);
      for (const s of summary) {
        expect(s.startsWith(`${name} `) || s === name, s).toBe(true);
        for (const [, option] of s.matchAll(/--([a-z][a-z-]*)/g))
          expect(options, `${name}: the summary shows --${option}`).toContain(option);
        for (const choices of choiceLists(s)) expect(helpChoices, name).toContain(choices);
      }
    },
  );

  it('lists the commands, pointing at their --help', async () => {
    const run = await cli('--help');
    expect(run.status).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(run.stdout).toContain(`  ${name}`);
    expect(run.stdout).toContain('<command> --help');
  });
});

describe('model-router commands in the README and docs', () => {
  const root = new URL('../../', import.meta.url);
  const docs = [
    'README.md',
    ...readdirSync(new URL('docs/', root))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];

  it('every option they give a command is one its parser accepts, each value one its help names', async () => {
    const accepted = new Map<string, Set<string>>();
    const helps = new Map<string, string>();
    for (const name of Object.keys(COMMANDS)) {
      const { help, options } = await COMMANDS[name]!();
      accepted.set(name, new Set(options.flatMap((o) => Object.keys(o)).concat('help')));
      helps.set(name, help);
    }
    const shown: string[] = [];
    for (const doc of docs) {
      const lines = readFileSync(new URL(doc, root), 'utf8').split('\n');
      for (let i = 0; i < lines.length; i++) {
        // A shell line continued with `\` is one command; a `#` comment or a code span's end ends it.
        let text = lines[i]!;
        for (let j = i; text.endsWith('\\') && j + 1 < lines.length;)
          text = text.slice(0, -1) + lines[++j];
        for (const [, name, rest] of text.matchAll(/model-router ([a-z][a-z-]*)([^`#\n]*)/g)) {
          const options = accepted.get(name!);
          if (!options) continue;
          for (const [, option] of rest!.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) {
            expect(options, `${doc}:${i + 1}: model-router ${name} has no --${option}`).toContain(
              option,
            );
            shown.push(`${name} --${option}`);
          }
          // `--by model|deployment|…`: each choice is one the command's help names.
          for (const [, option, values] of rest!.matchAll(/--([a-z-]+) ([a-z]+(?:\|[a-z-]+)+)/g))
            for (const value of values!.split('|')) {
              expect(
                helps.get(name!),
                `${doc}:${i + 1}: model-router ${name} --${option} takes no ${value}`,
              ).toMatch(new RegExp(`\\b${value}\\b`));
              shown.push(`${name} --${option} ${value}`);
            }
        }
      }
    }
    // Not vacuous: the README's CLI section and docs/operations.md's keys among them.
    expect(shown).toEqual(
      expect.arrayContaining([
        'eval --salts',
        'keys --allow-ip',
        'report --by tag',
        'eval --family mlp-blend',
      ]),
    );
    expect(new Set(shown).size).toBeGreaterThan(40);
  });
});
