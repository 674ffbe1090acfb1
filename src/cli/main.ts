// `./bin/model-router <command>`: one file per command under src/cli/, loaded on demand so a
// command's dependencies cost nothing for the others. Each command module exports `run(argv)` and
// `HELP`, which `<command> --help` (or `-h`, or `help <command>`) prints, exiting 0.
import { fileURLToPath } from 'node:url';

const COMMANDS: Record<string, { file: string; summary: string }> = {
  serve: {
    file: './serve.js',
    summary: 'serve [--config <file>] [--port <n>] [--host <h>]   start the router',
  },
  'check-config': {
    file: './check-config.js',
    summary: 'check-config <file>                  validate a config file',
  },
  'config-reference': {
    file: './config-reference.js',
    summary: 'config-reference [--out <file.md>]    the config reference, from the schema',
  },
  train: {
    file: './train.js',
    summary:
      'train --data <f.jsonl,...> --prices <p.json> --out <artefact.json> [--seed N] [--confidence-z Z] [--work-budget M]',
  },
  eval: {
    file: './eval.js',
    summary: 'eval --train <files> --test <files> --prices <p.json> [--json] [--out <dir>]',
  },
  calibrate: {
    file: './calibrate.js',
    summary: 'calibrate ...                         fit a new model from ~200 scored prompts',
  },
  'calibrate-bands': {
    file: './calibrate-bands.js',
    summary:
      'calibrate-bands --model <v> --data <scored.jsonl> --out <artefact.json>   bands again on your traffic',
  },
  report: {
    file: './report.js',
    summary: 'report --since 7d [--by model|key|router|tenant|user|tag] [--json | --csv]',
  },
  simulate: {
    file: './simulate.js',
    summary: 'simulate --since 7d --mode cost|balanced|quality [--subset a,b] [--version V]',
  },
  compare: {
    file: './compare.js',
    summary: 'compare --endpoint <url> --prompts <f> --targets a,b [--modes ...] [--out <dir>]',
  },
  distribution: {
    file: './distribution.js',
    summary: 'distribution [--since 7d | --compare <results.json>] [--by ...] [--out <f.html>]',
  },
  feedback: {
    file: './feedback.js',
    summary:
      'feedback export --since 30d [--router r] [--tag t] --out <scored.jsonl>   rated prompts as routing data',
  },
  keys: { file: './keys.js', summary: 'keys issue|rotate|revoke|list ...      manage API keys' },
  batches: {
    file: './batches.js',
    summary:
      "batches [cancel <id> | webhooks [--retry <id>]] --url <router>   every tenant's batches, the webhook outbox (admin key)",
  },
};

function usage(): string {
  return [
    'usage: model-router <command> [options]   (model-router <command> --help: its options)',
    '',
    'commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
  ].join('\n');
}

interface CommandModule {
  run(argv: string[]): Promise<number>;
  HELP: string;
}

/** `--help` or `-h` among the options (before a `--`, after which everything is an operand). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function main(argv: string[]): Promise<number> {
  let [command, ...rest] = argv;
  // `help <command>` is `<command> --help`.
  if (command === 'help' && rest[0] && COMMANDS[rest[0]]) [command, rest] = [rest[0], ['--help']];
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage() + '\n');
    return command ? 0 : 2;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    process.stderr.write(`model-router: unknown command "${command}"\n\n${usage()}\n`);
    return 2;
  }
  const mod = (await import(entry.file)) as CommandModule;
  if (asksForHelp(rest)) {
    process.stdout.write(mod.HELP);
    return 0;
  }
  try {
    return await mod.run(rest);
  } catch (err) {
    // An unknown, ambiguous or valueless option: say which, and how the command is called.
    if (String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(
        `model-router ${command}: ${(err as Error).message}\n  ${entry.summary}\n  (model-router ${command} --help lists every option)\n`,
      );
      return 2;
    }
    throw err;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || !['serve'].includes(process.argv[2] ?? '')) process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
