// `model-router config-schema [--out <file>]`: the config's JSON Schema, generated from the config
// schema, for editors (docs/config.schema.json is this command's output).
import { parseArgs } from 'node:util';
import { writeTextOut } from './out-path.js';

/** The options run() accepts; HELP describes each. */
export const OPTIONS = { out: { type: 'string' } } as const;

/** What `model-router config-schema --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router config-schema [--out <file.json>]

Prints the config's JSON Schema (draft-07), generated from the config schema, for editors that
validate and complete YAML and JSON (docs/config.schema.json is this output). VS Code's YAML
extension reads it from a config's first line:
  # yaml-language-server: $schema=<path or URL of config.schema.json>
\${env:VAR} placeholders are allowed wherever the router accepts them.

options:
  --out <file.json>   write it to this file instead of stdout
  -h, --help          this help

example:
  model-router config-schema --out docs/config.schema.json
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  // Loaded here, not at the top: `config-schema --help` need not load the config schema.
  const { renderConfigJsonSchema } = await import('../config/config-json-schema.js');
  return writeTextOut(values.out, renderConfigJsonSchema);
}
