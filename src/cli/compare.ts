// `model-router compare --endpoint <url> --prompts <file> --targets model-router,<deployment>,…
// [--key-env VAR] [--modes balanced,quality,cost] [--concurrency N] [--out <dir>] …`
// Sends each prompt to each target of a live endpoint and writes results.json, results.csv and
// report.html. Bounded: at most --limit prompts, --concurrency in flight, --timeout-ms per request
// and --max-minutes in all.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROUTING_MODES } from '../config/schema.js';
import { renderCompareHtml, summaryLines, toCsv } from '../reporting/compare-report.js';
import { PromptFileError, loadFlatPrices, loadPrompts } from '../reporting/compare-inputs.js';
import { compareScoredRows, scoreNames } from '../reporting/compare-scored.js';
import { discoverEndpoint, runCompare, type CompareTarget } from '../reporting/compare-run.js';
import { progressBar } from './progress-bar.js';
import { prepareOutDir, writeOutFile } from './out-path.js';
import { DataError } from '../../training/data-error.js';

const USAGE = `usage: model-router compare --endpoint <url> --prompts <file.jsonl|file.txt> --targets <a,b,…>
  [--key-env VAR]            API key from this environment variable (sent as Bearer and api-key)
  [--modes balanced,quality,cost]  also run each router target once per mode (x-router-mode)
  [--routers a,b]            targets to treat as routers when the endpoint does not say so
  [--api-version V]          Azure OpenAI style paths (/openai/deployments/{target}/…?api-version=V)
  [--concurrency 4] [--limit 200] [--timeout-ms 60000] [--max-minutes 10]
  [--max-tokens N] [--no-stream] [--prices <flat prices.json>] [--score-as target=model,…]
  [--out compare-out]`;

function fail(message: string): number {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  return 2;
}

/**
 * A file compare reads or writes (--prompts, --prices, --out and the files written into it) that
 * it cannot use: `error: …` and exit 1, as train, eval and calibrate say it; a bad invocation
 * stays a usage error (exit 2).
 */
class InputError extends Error {}

/** `read()`, with a file error it throws made an `InputError`. */
function input<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof PromptFileError || err instanceof DataError)
      throw new InputError(err.message);
    throw err;
  }
}

function positiveInt(name: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new PromptFileError(`--${name} must be a positive integer (got "${text}")`);
  if (n > max) throw new PromptFileError(`--${name} must be at most ${max} (got "${text}")`);
  return n;
}

/** Node's longest timer (ms, about 24.8 days): a longer one fires at once, aborting every request. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  endpoint: { type: 'string' },
  'key-env': { type: 'string' },
  prompts: { type: 'string' },
  targets: { type: 'string' },
  modes: { type: 'string' },
  routers: { type: 'string' },
  'api-version': { type: 'string' },
  concurrency: { type: 'string', default: '4' },
  limit: { type: 'string', default: '200' },
  'timeout-ms': { type: 'string', default: '60000' },
  'max-minutes': { type: 'string', default: '10' },
  'max-tokens': { type: 'string' },
  'no-stream': { type: 'boolean', default: false },
  prices: { type: 'string' },
  'score-as': { type: 'string' },
  out: { type: 'string', default: 'compare-out' },
} as const;

/** What `model-router compare --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router compare --endpoint <url> --prompts <file.jsonl|file.txt> --targets <a,b,…> [options]

Sends each prompt to each target (a router deployment or a deployment) of a live endpoint, this
router or any OpenAI-compatible one, and writes results.json, results.csv and report.html: cost,
latency, time to first token and quality per target, and the routing distribution per mode.
Bounded by --limit, --concurrency, --timeout-ms and --max-minutes. Where answers are graded (a
reference answer, or scores in the file), it also writes scored.jsonl: the prompts with each plain
target's quality, cost and answer length, in the routing data's line format, for eval --model,
calibrate and calibrate-bands; a target is scored under the name --score-as gives it, else under
the routing model's name its deployment is like: (where this router's /v1/models says so and no
other target shares it), else its own.

options:
  --endpoint <url>         the endpoint's base URL (http or https)
  --prompts <file>         .txt: a prompt a line; .jsonl: an object a line with prompt (or messages,
                           or input) and optional id, reference, scores, source, category
  --targets <a,b>          the models to call, comma-separated
  --key-env <VAR>          the API key from this environment variable (sent as Bearer and api-key)
  --modes <m,…>            also run each router target once per mode (x-router-mode): balanced,
                           quality, cost
  --routers <a,b>          targets to treat as routers when the endpoint does not say so
  --api-version <v>        Azure OpenAI paths (/openai/deployments/{target}/…?api-version=v)
  --concurrency <n>        requests in flight (default 4)
  --limit <n>              at most this many prompts (default 200)
  --timeout-ms <n>         per request (default 60000)
  --max-minutes <n>        for the whole run (default 10)
  --max-tokens <n>         max_tokens for every request
  --no-stream              non-streaming requests (no time to first token)
  --prices <file>          flat prices per model (default: what the endpoint's /v1/models says)
  --score-as <t=m,…>       in scored.jsonl, score target t as model m (t=t: under its own name);
                           default: what its deployment is like:, else the target's name
  --out <dir>              where to write the results (default compare-out)
  -h, --help               this help

example:
  model-router compare --endpoint http://127.0.0.1:8080 --prompts prompts.txt --targets model-router,big,small --modes balanced,cost
`;

export async function run(argv: string[]): Promise<number> {
  // A wrong option throws: main.ts says so as for every command.
  const { values } = parseArgs({ args: argv, options: OPTIONS });
  if (!values.endpoint) return fail('--endpoint is required (e.g. http://127.0.0.1:8080)');
  if (!/^https?:\/\//.test(values.endpoint))
    return fail(`--endpoint must be an http(s) URL (got "${values.endpoint}")`);
  if (!values.prompts) return fail('--prompts is required (a .jsonl or .txt file)');
  // Each target once, as written between commas: spaces and empty items (a trailing comma) are
  // not names (before, " a , ," asked the endpoint for "" and refused it as a --score-as clash).
  const targetNames = [
    ...new Set(
      (values.targets ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
  if (!targetNames.length) return fail('--targets is required (e.g. model-router,gpt-4.1)');
  let apiKey: string | undefined;
  if (values['key-env']) {
    apiKey = process.env[values['key-env']];
    if (!apiKey)
      return fail(`the environment variable ${values['key-env']} (--key-env) is not set`);
  }
  const modes = values.modes
    ? values.modes
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [];
  const badMode = modes.find((m) => !(ROUTING_MODES as readonly string[]).includes(m));
  if (badMode) return fail(`--modes: "${badMode}" is not one of ${ROUTING_MODES.join(', ')}`);

  try {
    const concurrency = positiveInt('concurrency', values.concurrency!);
    const limit = positiveInt('limit', values.limit!);
    const timeoutMs = positiveInt('timeout-ms', values['timeout-ms']!, MAX_TIMER_MS);
    const maxMinutes = Number(values['max-minutes']);
    if (!(maxMinutes > 0)) return fail('--max-minutes must be a positive number');
    if (maxMinutes * 60_000 > MAX_TIMER_MS)
      return fail(
        `--max-minutes must be at most ${Math.floor(MAX_TIMER_MS / 60_000)} (about 24.8 days, the longest timer Node keeps; got "${values['max-minutes']}")`,
      );
    const maxTokens = values['max-tokens']
      ? positiveInt('max-tokens', values['max-tokens'])
      : undefined;
    // Every file is read, and --out made ready, before a single request: a run can take its
    // whole --max-minutes, and a bad file found after it would waste them.
    const prompts = input(() => loadPrompts(values.prompts!)).slice(0, limit);
    const flatPrices = values.prices ? input(() => loadFlatPrices(values.prices!)) : undefined;
    input(() => prepareOutDir(values.out!));
    const discovered = await discoverEndpoint(values.endpoint, apiKey, values['api-version']);
    const scoredAs = scoreNames(values['score-as'], targetNames, discovered.likes);
    const prices = flatPrices ?? discovered.prices;
    const routers = new Set([
      ...discovered.routers,
      ...(values.routers ? values.routers.split(',').map((r) => r.trim()) : []).filter(Boolean),
    ]);
    const targets: CompareTarget[] = [];
    for (const name of targetNames) {
      if (routers.has(name) && modes.length)
        for (const mode of modes) targets.push({ target: name, mode, label: `${name} (${mode})` });
      else targets.push({ target: name, label: name });
    }
    if (modes.length && !targets.some((t) => t.mode))
      process.stderr.write(
        `note: --modes given but no target is a router (the endpoint lists none; name them with --routers)\n`,
      );
    const bar = progressBar('compare');
    process.stderr.write(
      `compare: ${prompts.length} prompts × ${targets.length} runs = ${prompts.length * targets.length} requests, ${concurrency} at a time\n`,
    );
    const result = await runCompare({
      endpoint: values.endpoint,
      ...(apiKey ? { apiKey } : {}),
      ...(values['api-version'] ? { apiVersion: values['api-version'] } : {}),
      prompts,
      targets,
      concurrency,
      requestTimeoutMs: timeoutMs,
      deadlineMs: maxMinutes * 60_000,
      ...(maxTokens ? { maxTokens } : {}),
      stream: !values['no-stream'],
      prices,
      scoreNames: scoredAs.names,
      likes: discovered.likes,
      onProgress: (done, total) => bar.update(done, total, `${done}/${total}`),
    });
    bar.done();
    // Each file whole or not at all (a file beside it, renamed over it); one that cannot be
    // written (a full disk) is `error: --out <file>: cannot write (why)`, where it was a stack.
    const write = (file: string, text: string) =>
      input(() => writeOutFile(join(values.out!, file), text));
    write('results.json', `${JSON.stringify(result, null, 2)}\n`);
    write('results.csv', `${toCsv(result.rows)}\n`);
    write('report.html', renderCompareHtml(result));
    const scored = compareScoredRows(result, prompts, routers, scoredAs.names);
    if (scored.length && scoredAs.fromLike.size)
      process.stderr.write(
        `scored.jsonl scores ${[...scoredAs.fromLike].map(([t, m]) => `${t} as ${m}`).join(', ')}: the routing model's names, from their deployments' like: (--score-as t=t keeps a target's own)\n`,
      );
    if (scored.length && scoredAs.shared.length)
      process.stderr.write(
        `scored.jsonl scores ${scoredAs.shared.join(', ')} under their own names: their like: names would clash (scored.jsonl has one score per model and prompt; name one with --score-as)\n`,
      );
    if (scored.length)
      write('scored.jsonl', `${scored.map((r) => JSON.stringify(r)).join('\n')}\n`);
    process.stdout.write(
      `${summaryLines(result).join('\n')}\n\nwrote ${join(values.out!, 'report.html')}, results.csv, results.json${scored.length ? `, scored.jsonl (${scored.length} graded prompts)` : ''}\n`,
    );
    if (result.skipped)
      process.stderr.write(`${result.skipped} requests not sent: the deadline passed\n`);
    return result.rows.some((r) => r.ok) ? 0 : 1;
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    if (err instanceof PromptFileError || err instanceof DataError) return fail(err.message);
    throw err;
  }
}
