// `model-router config-reference [--out <file>]`: the configuration reference, generated from the
// config schema (docs/configuration.md is this command's output).
import { writeTextOut } from './out-path.js';
import { parseArgs } from 'node:util';
import { renderConfigReference } from '../config/config-reference.js';

/** The options run() accepts; HELP describes each. */
export const OPTIONS = { out: { type: 'string' } } as const;

/** What `model-router config-reference --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router config-reference [--out <file.md>]

Prints the configuration reference, generated from the config schema: every key with its type,
default and meaning (docs/configuration.md is this output).

options:
  --out <file.md>   write it to this file instead of stdout
  -h, --help        this help

example:
  model-router config-reference --out docs/configuration.md
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  return writeTextOut(values.out, renderConfigReference);
}
