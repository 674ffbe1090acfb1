// `model-router config-reference [--out <file>]`: the configuration reference, generated from the
// config schema (docs/configuration.md is this command's output).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderConfigReference } from '../config/config-reference.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } } });
  const text = renderConfigReference();
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return 0;
}
