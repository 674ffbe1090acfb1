// `model-router feedback export [--since 30d] [--until …] [--router r] [--tag t] [--tenant t]
// [--model <artefact|version>] [--config <file>] --out scored.jsonl`: the rated requests of the
// request log the config names, as routing data in the shared line format (one row per rated
// request: its prompt and, under the artefact's name of the model that served it, its score), so
// `calibrate` can fit a model from your users' feedback. Needs `requestLog.storeText` (the prompts).
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load-config.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Config } from '../config/schema.js';
import { bareNameIndex } from '../core/model-names.js';
import { parseCliWindow } from '../core/time-range.js';
import { DEFAULT_CONFIG_PATH } from '../config/default-config-path.js';
import { artefactPathFor, loadArtefactFile } from '../routing/artefact-files.js';
import { type ModelHead } from '../routing/routing-model.js';
import { DEFAULT_MODELS_DIR } from '../routing/router-factory.js';
import type { FeedbackWithPrompt } from '../store/feedback-store.js';
import { openRequestLogToRead } from '../store/open-request-store.js';
import { checkOutFile, writeOutFile } from './out-path.js';
import { requestLogReadError } from '../store/store-unavailable.js';

const USAGE =
  'usage: model-router feedback export [--since 30d] [--until <t>] [--router <name>] [--tag <tag>] [--tenant <t>] [--model <artefact|version>] [--config <file>] --out <scored.jsonl>\n';

/**
 * The artefact's name for the model a deployment serves, as the trained router maps it: `like`,
 * `model` or `name` exactly (`like` may name `<data group>:<model>`), else by bare name; undefined
 * when the artefact does not know it.
 */
export function artefactModelName(
  d: Pick<DeploymentConfig, 'like' | 'model' | 'name'>,
  models: readonly Pick<ModelHead, 'name' | 'group'>[],
): string | undefined {
  const byName = new Map<string, string>();
  for (const m of models) {
    if (!byName.has(m.name)) byName.set(m.name, m.name);
    byName.set(`${m.group}:${m.name}`, m.name);
  }
  const names = [d.like, d.model, d.name].filter((n): n is string => n !== undefined);
  const exact = names.find((n) => byName.has(n));
  if (exact) return byName.get(exact);
  const bare = bareNameIndex(models.map((m) => m.name));
  return names.map(bare).find((n) => n !== undefined);
}

export interface ScoredRow {
  id: string;
  source: string;
  prompt: string;
  multi_turn: boolean;
  scores: Record<string, number>;
  meta: Record<string, unknown>;
}

/**
 * One row per rated request with prompt text: the weighted mean of its feedback (those of weight
 * 0 alone: left out) under `nameOf(its deployment)`. Feedback comes oldest request first.
 */
export function scoredRows(
  feedback: readonly FeedbackWithPrompt[],
  nameOf: (deployment: string | undefined, servedModel: string | undefined) => string,
): { rows: ScoredRow[]; withoutPrompt: number } {
  const byRequest = new Map<string, FeedbackWithPrompt[]>();
  for (const f of feedback) {
    const key = `${f.request.tenant}\n${f.request.requestId}\n${f.request.time}`;
    byRequest.set(key, [...(byRequest.get(key) ?? []), f]);
  }
  const rows: ScoredRow[] = [];
  let withoutPrompt = 0;
  for (const list of byRequest.values()) {
    const r = list[0]!.request;
    const prompt = list[0]!.promptText?.replace(/\n$/, '');
    if (!prompt?.trim()) {
      withoutPrompt++;
      continue;
    }
    const weight = list.reduce((s, f) => s + f.weight, 0);
    if (weight <= 0) continue;
    const score = list.reduce((s, f) => s + f.score * f.weight, 0) / weight;
    rows.push({
      id: `feedback/${r.tenant}/${r.requestId}`,
      source: 'feedback',
      prompt,
      // The request log keeps a request's texts as one string (as `simulate` replays it), and
      // beside it whether the request continued a conversation (unknown before migration 18: false).
      multi_turn: list[0]!.multiTurn === true,
      scores: { [nameOf(r.deployment, r.servedModel)]: score },
      meta: {
        request_id: r.requestId,
        time: new Date(r.time).toISOString(),
        router: r.router ?? null,
        deployment: r.deployment ?? null,
        served_model: r.servedModel ?? null,
        feedback: list.length,
      },
    });
  }
  return { rows, withoutPrompt };
}

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  since: { type: 'string', default: '30d' },
  until: { type: 'string' },
  router: { type: 'string' },
  tag: { type: 'string' },
  tenant: { type: 'string' },
  model: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
} as const;

/** What `model-router feedback --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router feedback export [--since 30d] [--until <t>] [--router <name>] [--tag <tag>]
                                    [--tenant <t>] [--model <artefact|version>] [--config <file>]
                                    --out <scored.jsonl>

Writes the rated requests of the request log as routing data in the shared line format (a row per
rated request: its prompt and, under the artefact's name of the model that served it, its score),
for calibrate. Needs requestLog.storeText (the prompts).

options:
  --since <t>          the window's start: a duration back from now or a date (default 30d)
  --until <t>          its end (default: now)
  --router <name>      only this router deployment's requests
  --tag <tag>          only requests with this tag
  --tenant <t>         only this tenant's requests
  --model <artefact>   the artefact whose model names to use: a file, or a version in the config's
                       routing.modelsDir (default: the version the config's router uses, --router's
                       when given; latest when its routers use several)
  --config <file>      the config whose request log to read (default: config/default.yaml)
  --out <file>         where to write the rows
  -h, --help           this help

example:
  model-router feedback export --since 30d --router model-router --out scored.jsonl
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
  });
  if (positionals[0] !== 'export' || positionals.length > 1 || !values.out) {
    // What is wrong first, as the other commands say a missing option; then the usage.
    const wrong =
      positionals[0] === undefined
        ? 'missing the subcommand, export'
        : positionals[0] !== 'export'
          ? `unknown subcommand "${positionals[0]}" (the one there is: export)`
          : positionals.length > 1
            ? `export takes no operands (got ${positionals.slice(1).join(', ')})`
            : 'missing --out';
    process.stderr.write(`model-router feedback: ${wrong}\n${USAGE}`);
    return 2;
  }
  let since: number;
  let until: number;
  try {
    ({ since, until } = parseCliWindow(values.since!, values.until, Date.now()));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  let requestLog: Config['requestLog'] | undefined;
  try {
    checkOutFile(values.out);
    const { config } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    requestLog = config.requestLog;
    if (config.requestLog.kind === 'none') {
      process.stderr.write(
        'the config has requestLog.kind: none; there is no feedback to export\n',
      );
      return 1;
    }
    if (!config.requestLog.storeText) {
      process.stderr.write(
        'requestLog.storeText is off: the request log keeps no prompts, so rated requests cannot become routing data; nothing written. Turn it on to export the feedback on requests made from then on.\n',
      );
      return 1;
    }
    // The artefact the config's router serves, in the config's models folder: its model names
    // are the ones calibrate extends (another's would make known models look new).
    const versions = new Set(
      config.routers
        .filter((r) => !values.router || r.name === values.router)
        .map((r) => r.version),
    );
    const version = values.model ?? (versions.size === 1 ? [...versions][0]! : 'latest');
    const artefact = loadArtefactFile(
      artefactPathFor(version, config.routing.modelsDir ?? DEFAULT_MODELS_DIR),
    );
    const deployments = new Map(config.deployments.map((d) => [d.name, d]));
    const unknown = new Set<string>();
    const nameOf = (deployment: string | undefined, served: string | undefined): string => {
      const d = deployment === undefined ? undefined : deployments.get(deployment);
      if (!d) return served ?? deployment ?? 'unknown';
      const known = artefactModelName(d, artefact.models);
      if (known) return known;
      unknown.add(d.name);
      return d.like ?? d.model;
    };
    const store = await openRequestLogToRead(config.requestLog);
    const feedback = await store
      .migrate()
      .then(() => store.listFeedback(since, until))
      .finally(() => store.close());
    const picked = feedback.filter(
      (f) =>
        (!values.router || f.request.router === values.router) &&
        (!values.tenant || f.request.tenant === values.tenant) &&
        (!values.tag || (f.request.tags?.includes(values.tag) ?? false)),
    );
    const { rows, withoutPrompt } = scoredRows(picked, nameOf);
    if (withoutPrompt)
      process.stderr.write(
        `note: ${withoutPrompt} rated request(s) have no prompt text in the log (made while requestLog.storeText was off, or with no text): left out\n`,
      );
    if (rows.length === 0) {
      process.stderr.write(
        `no rated request with a prompt from ${new Date(since).toISOString()} to ${new Date(until).toISOString()} (${picked.length} feedback matched); nothing written\n`,
      );
      return 1;
    }
    // Whole or not at all; a failed write names --out and why (before, Node's "ENOSPC: …").
    writeOutFile(values.out, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const perModel = new Map<string, number>();
    for (const r of rows)
      for (const m of Object.keys(r.scores)) perModel.set(m, (perModel.get(m) ?? 0) + 1);
    process.stderr.write(
      `wrote ${rows.length} rated prompts (${picked.length} feedback) to ${values.out}: ${[
        ...perModel,
      ]
        .map(([m, n]) => `${m} ${n}`)
        .join(', ')}${
        unknown.size
          ? `; not in artefact ${artefact.version}, to add with \`model-router calibrate\`: ${[...unknown].join(', ')}`
          : ''
      }\n`,
    );
    return 0;
  } catch (err) {
    // A bad config or artefact, or a request log that cannot be read: said, exit 1.
    process.stderr.write(`${requestLogReadError(err, requestLog)}\n`);
    return 1;
  }
}
