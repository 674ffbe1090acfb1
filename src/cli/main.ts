// `./bin/model-router <command>`: one file per command under src/cli/, loaded on demand so a
// command's dependencies cost nothing for the others. Each command module exports `run(argv)` and
// `HELP`, which `<command> --help` (or `-h`, or `help <command>`) prints, exiting 0.
import { fileURLToPath } from 'node:url';
import { joinNegativeValues } from './negative-values.js';
import { UsageError } from './usage-error.js';

/**
 * Each command's file, its forms as the top-level help shows them (each names the form's required
 * operands and options as the command's own HELP does; test/e2e/cli-help.e2e.test.ts holds them
 * to that, and to the command's OPTIONS and choice lists), and what it does. Kept here, not read
 * from the modules, so `--help` loads none of them.
 */
export const COMMANDS: Record<string, { file: string; forms: string[]; about: string }> = {
  serve: {
    file: './serve.js',
    forms: ['serve [--config <file>] [--port <n>] [--host <address>]'],
    about: 'start the router',
  },
  'check-config': {
    file: './check-config.js',
    forms: ['check-config <file>'],
    about: 'validate a config file',
  },
  'config-reference': {
    file: './config-reference.js',
    forms: ['config-reference [--out <file.md>]'],
    about: 'the config reference, from the schema',
  },
  'config-schema': {
    file: './config-schema.js',
    forms: ['config-schema [--out <file.json>]'],
    about: "the config's JSON Schema, for editors",
  },
  train: {
    file: './train.js',
    forms: [
      'train --data <a.jsonl>[,<b.jsonl>…] --prices <prices.json> --out <artefact.json> [--version V] [--epochs N] [--seed N] [--confidence-z Z] [--work-budget M]',
    ],
    about: 'train a routing artefact on scored prompts',
  },
  eval: {
    file: './eval.js',
    forms: [
      'eval --train <files> --test <files> --prices <prices.json> [--json] [--out <dir>]',
      'eval --model <artefact.json|version> --test <files> [--json] [--out <dir>]',
    ],
    about: "each mode's quality and cost on held-out prompts, against the best single model",
  },
  calibrate: {
    file: './calibrate.js',
    forms: [
      'calibrate --model <artefact.json|version> --data <scored.jsonl> --prices <prices.json> --out <artefact.json> [options]',
    ],
    about: 'add the models ~200 scored prompts score to an artefact',
  },
  'calibrate-bands': {
    file: './calibrate-bands.js',
    forms: [
      'calibrate-bands --model <artefact.json|version> --data <scored.jsonl> --out <artefact.json> [options]',
    ],
    about: "an artefact's mode bands again, on your traffic",
  },
  report: {
    file: './report.js',
    forms: [
      'report [--since 7d] [--by model|deployment|endpoint|key|router|tenant|user|tag] [--json | --csv] [options]',
    ],
    about: 'spend, savings, routing, latency and errors per group, from the request log',
  },
  simulate: {
    file: './simulate.js',
    forms: [
      'simulate [--since 7d] [--mode cost|balanced|quality] [--subset a,b] [--version <artefact>] [options]',
    ],
    about: 'replay logged prompts in another mode, subset or artefact version',
  },
  compare: {
    file: './compare.js',
    forms: [
      'compare --endpoint <url> --prompts <file.jsonl|file.txt> --targets <a,b,…> [--modes …] [--out <dir>]',
    ],
    about: 'send prompts to each target of a live endpoint: cost, latency, quality',
  },
  distribution: {
    file: './distribution.js',
    forms: [
      'distribution [--since 7d | --compare <results.json>] [--by auto|source|category|length|kind|mode] [--out <report.html>]',
    ],
    about: 'which models were chosen for which kinds of prompts',
  },
  feedback: {
    file: './feedback.js',
    forms: ['feedback export --out <scored.jsonl> [--since 30d] [--router <name>] [--tag <tag>]'],
    about: 'rated prompts as routing data',
  },
  keys: {
    file: './keys.js',
    forms: [
      'keys issue --tenant <t> [options]',
      'keys rotate <id> [--grace 1h]',
      'keys revoke <id>',
      'keys list [--json]',
    ],
    about: 'manage API keys, through --url <router> or in --config <file>',
  },
  batches: {
    file: './batches.js',
    forms: [
      'batches [list] [--status unfinished|finished|all] [--json]',
      'batches cancel <id>',
      'batches webhooks [--status pending|delivered|failed|all] [--retry <delivery id>]',
    ],
    about: "every tenant's batches and the webhook outbox, through --url <router> (admin key)",
  },
};

function usage(): string {
  return [
    'usage: model-router <command> [options]   (model-router <command> --help: its options)',
    '',
    'commands:',
    ...Object.values(COMMANDS).flatMap((c) => [
      ...c.forms.map((f) => `  ${f}`),
      `      ${c.about}`,
    ]),
  ].join('\n');
}

interface CommandModule {
  run(argv: string[]): Promise<number>;
  HELP: string;
  OPTIONS?: Record<string, { type: string }>;
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
    return await mod.run(joinNegativeValues(rest, mod.OPTIONS));
  } catch (err) {
    // An unknown, ambiguous or valueless option: say which, and how the command is called.
    if (String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      // Node's hint about positionals starting with '-' is about its own parser, not this CLI.
      const message = (err as Error).message.replace(
        /\. To specify a positional argument[\s\S]*$/,
        '',
      );
      process.stderr.write(
        `model-router ${command}: ${message}\n${entry.forms.map((f) => `  ${f}\n`).join('')}  (model-router ${command} --help lists every option)\n`,
      );
      return 2;
    }
    // A bad option value or operand: one line naming it, exit 2, as an unknown option.
    if (err instanceof UsageError) {
      process.stderr.write(`model-router ${command}: ${err.message}\n`);
      return 2;
    }
    // Anything else the command did not say itself (a file it could not write, …): one line
    // naming it, exit 1, not a stack trace (MODEL_ROUTER_DEBUG=1 shows the stack).
    if (process.env.MODEL_ROUTER_DEBUG) throw err;
    process.stderr.write(`model-router ${command}: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
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
