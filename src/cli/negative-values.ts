// A negative number after a value-taking option is that option's value (main.ts, and commands that
// parse their own subcommands' options, such as `batches webhooks`).

/**
 * `--seed -1` as `--seed=-1`: a value-taking option followed by a negative number takes it, as a
 * user means (Node's parser reads `-1` as an option and refuses the pair as ambiguous). Only
 * numbers, and only after options that take a value; everything after `--` is left alone.
 */
export function joinNegativeValues(
  args: readonly string[],
  options: Record<string, { type: string }> = {},
): string[] {
  const takesValue = new Set(
    Object.entries(options)
      .filter(([, o]) => o.type === 'string')
      .map(([name]) => `--${name}`),
  );
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i)];
    const next = args[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
