// `model-router simulate --since 7d --mode cost|balanced|quality [--subset a,b] [--router <name>]
// [--version <artefact>] [--config <file>]`: replays logged requests whose text was kept through
// the routing model in another mode, subset or artefact version, and compares predicted cost,
// predicted quality and the distribution with what happened. Every predicted figure is the
// replaying version's, so a version is compared with the one in force on one scale.
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import type { RoutingMode } from '../config/schema.js';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import type { Config } from '../config/schema.js';
import {
  collectPromptText,
  estimatePromptTokens,
  promptTokenUpperBound,
  requestedOutputTokens,
} from '../core/prompt-text.js';
import type { ChatRequest } from '../core/wire-types.js';
import { DEFAULT_CONFIG_PATH } from '../config/default-config-path.js';
import { OutputTokenStats } from '../routing/output-token-stats.js';
import { DATED_ARTEFACT, artefactVersions } from '../routing/artefact-files.js';
import { DEFAULT_MODELS_DIR, createRouterFactory } from '../routing/router-factory.js';
import { openRequestLogToRead } from '../store/open-request-store.js';
import { parseDuration } from '../core/time-range.js';
import { asUsage } from './usage-error.js';
import { requestLogReadError } from '../store/store-unavailable.js';

/**
 * The request a logged prompt text stands for. The log keeps every message's text, each followed
 * by a newline (`collectPromptText`); the features ignore white space around a message, so a
 * single user turn replays with the features it was routed on. Roles and other fields of a longer
 * conversation are not in the log.
 */
export function replayRequest(router: string, promptText: string): ChatRequest {
  return { model: router, messages: [{ role: 'user', content: promptText }] } as ChatRequest;
}

/** The options run() accepts; HELP describes each. */
export const OPTIONS = {
  since: { type: 'string', default: '7d' },
  mode: { type: 'string', default: 'balanced' },
  subset: { type: 'string' },
  router: { type: 'string' },
  version: { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** What `model-router simulate --help` prints: its usage, every option, an example. */
export const HELP = `usage: model-router simulate [--since 7d] [--mode cost|balanced|quality] [--subset a,b]
                             [--router <name>] [--version <artefact>] [--json] [--config <file>]

Replays logged requests whose prompt text was kept (requestLog.storeText) through the routing model
in another mode, subset or artefact version, and compares predicted cost, predicted quality and the
distribution with what happened.

options:
  --since <duration>    how far back to read the request log (default 7d)
  --mode <mode>         the routing mode to replay in: cost, balanced (default) or quality
  --subset <a,b>        replay with this model subset instead of each router's own (the
                        like-for-like replay, in the logged modes, keeps the router's own)
  --router <name>       only this router deployment's requests
  --version <v>         replay with this artefact version (in models/) instead of each router's
  --json                the comparison as JSON
  --config <file>       the config whose request log and routers to read (default: config/default.yaml)
  -h, --help            this help

example:
  model-router simulate --since 7d --mode cost --config config/prod.yaml
`;

/**
 * What is wrong with `--version <v>`: the router factory's words, or, for a file path (a file
 * `eval --model` would take), that --version takes a version in the models folder and how to
 * make the file one.
 */
function versionProblem(version: string, problem: string, modelsDir: string): string {
  if (!/[/\\]|\.json$/i.test(version)) return problem;
  const available = problem.match(/; (available: .*)$/)?.[1] ?? '';
  const name = basename(version).replace(/\.json$/i, '');
  const takes = `--version takes the version of an artefact in the models folder (its file name there without .json, e.g. ${artefactVersions(modelsDir)[0] ?? '2026-12-07'}, or latest), not a file path`;
  const inFolder =
    resolve(dirname(version)) === resolve(modelsDir) && artefactVersions(modelsDir).includes(name);
  return inFolder
    ? `${takes}: this one is --version ${name}`
    : `${takes}: copy the file to ${join(modelsDir, `${name}.json`)} and give --version ${name}; ${available}`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: OPTIONS,
  });
  const mode = values.mode as RoutingMode;
  if (!['cost', 'balanced', 'quality'].includes(mode)) {
    process.stderr.write('--mode must be cost, balanced or quality\n');
    return 2;
  }
  const sinceMs = asUsage(() => parseDuration(values.since!));
  let requestLog: Config['requestLog'] | undefined;
  try {
    const { config } = loadConfigFile(values.config ?? DEFAULT_CONFIG_PATH);
    requestLog = config.requestLog;
    // As report says it: opened anyway, it was a new, empty SQLite log and "0 logged requests".
    if (config.requestLog.kind === 'none') {
      process.stderr.write(
        'the config has requestLog.kind: none; there are no requests to replay\n',
      );
      return 1;
    }
    const deployments = new Map(config.deployments.map((d) => [d.name, d]));
    const modelsDir = config.routing.modelsDir ?? DEFAULT_MODELS_DIR;
    const routerFor = createRouterFactory(modelsDir, (m) =>
      process.stderr.write(`warning: ${m}\n`),
    );
    const issues = routerFor.issues(config);
    if (issues.length) throw ConfigError.of(issues);
    // --version replays every router with that artefact instead of its own. One it cannot load is
    // a bad option value (one line, exit 2), not the config's fault.
    const version = values.version;
    if (version !== undefined) {
      const replaced = structuredClone(config);
      for (const r of replaced.routers) r.version = version;
      const problem = routerFor.issues(replaced)[0]?.replace(/^routers\[\d+\]\.version: /, '');
      if (problem !== undefined) {
        process.stderr.write(
          `--version ${version}: ${versionProblem(version, problem, modelsDir)}\n`,
        );
        return 2;
      }
    }
    const known = new Set(artefactVersions(modelsDir));
    // `latest` as the version it names, to tell whether a request was routed with it.
    const dated = [...known].filter((v) => DATED_ARTEFACT.test(`${v}.json`));
    const named = (v: string) => (v === 'latest' ? (dated.at(-1) ?? v) : v);
    const store = await openRequestLogToRead(config.requestLog);
    await store.migrate();
    const logged = await store.query(Date.now() - sinceMs);
    await store.close();
    // What each deployment has been writing, learned from the answers as a live router learns it:
    // each request is replayed with what was known when it arrived, so the expected costs are the
    // ones the router was ranking by. The log is in arrival order, but a router learns an answer
    // when it ends (time + latency): an answer still running when a later request arrived (a
    // client sending several at once) is learned only after it, in the order the answers ended.
    const learned = new OutputTokenStats();
    let running: { end: number; deployment: string; tokens: number }[] = [];
    const learnEndedBy = (time: number) => {
      const ended = running.filter((a) => a.end <= time).sort((a, b) => a.end - b.end);
      if (ended.length === 0) return;
      for (const a of ended) learned.observe(a.deployment, a.tokens);
      running = running.filter((a) => a.end > time);
    };
    const observe = (r: (typeof logged)[number]) => {
      if (r.status === 200 && r.deployment)
        running.push({
          end: r.time + r.latencyMs,
          deployment: r.deployment,
          tokens: r.completionTokens,
        });
    };
    const replayable = (r: (typeof logged)[number]) =>
      !!r.promptText &&
      !!r.router &&
      r.status === 200 &&
      (!values.router || r.router === values.router);
    const subsetArg = values.subset
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (subsetArg && subsetArg.length === 0) {
      process.stderr.write('--subset names no deployment: give a comma-separated list of names\n');
      return 2;
    }
    if (values.router && !config.routers.some((r) => r.name === values.router)) {
      process.stderr.write(
        `--router ${values.router}: the config has no such router (it has ${config.routers.map((r) => r.name).join(', ') || 'none'})\n`,
      );
      return 2;
    }
    const unknown = subsetArg?.filter((n) => !deployments.has(n)) ?? [];
    if (unknown.length) {
      process.stderr.write(`--subset names unknown deployments: ${unknown.join(', ')}\n`);
      return 2;
    }
    // Routers route chat, as the config and the admin API refuse any other kind in a subset
    // (routing audit, 2026-12-06: an embedding model took a share of the replayed chat prompts).
    const notChat = subsetArg?.filter((n) => deployments.get(n)!.kind !== 'chat') ?? [];
    if (notChat.length) {
      process.stderr.write(
        `--subset names deployments that are not chat models (routers route chat): ${notChat.map((n) => `${n} (${deployments.get(n)!.kind})`).join(', ')}\n`,
      );
      return 2;
    }
    const actual = { cost: 0, predictedCost: 0, quality: 0, share: {} as Record<string, number> };
    const simulated = { cost: 0, quality: 0, share: {} as Record<string, number> };
    // The same replay in the mode each request was routed in: how closely the replay reproduces
    // what served (the log keeps the prompt text, not every field of the request), and the
    // like-for-like baseline for the mode asked for.
    const asLogged = { cost: 0, quality: 0, agreed: 0 };
    let n = 0;
    for (const r of logged) {
      learnEndedBy(r.time);
      const routerCfg = replayable(r) && config.routers.find((x) => x.name === r.router);
      const candidates = routerCfg
        ? (subsetArg ?? routerCfg.modelSubset)
            .map((name) => deployments.get(name))
            .filter((d): d is DeploymentConfig => d !== undefined)
        : [];
      if (!routerCfg || candidates.length === 0) {
        observe(r);
        continue;
      }
      const request = replayRequest(r.router!, r.promptText!);
      // The prompt tokens the router ranked by: its quick estimate, or an exact count where the
      // prompt might not fit a candidate's context window (needsExactCount), which the upstream's
      // own count in the log stands for. The log's count alone ranked near-ties otherwise than
      // the router had (a cost of a few tokens more or less on each candidate).
      const text = collectPromptText(request);
      const asked = promptTokenUpperBound(request, text) + requestedOutputTokens(request);
      const promptTokens = candidates.some((d) => asked > d.contextWindow)
        ? r.promptTokens
        : estimatePromptTokens(request, text);
      const replayCfg = version === undefined ? routerCfg : { ...routerCfg, version };
      const replay = (cfg: typeof routerCfg, m: RoutingMode, among = candidates) =>
        routerFor(cfg).decide({
          request,
          router: cfg,
          mode: m,
          candidates: among,
          promptTokens,
          outputTokens: learned,
        });
      // Every predicted quality and cost comes from the replaying version (a deployment's own
      // prediction does not depend on the others beside it): the asked replay's candidates from
      // its decision, the router's own subset and the deployment that served, where --subset
      // leaves them out, from the same version scoring them all.
      const decision = replay(replayCfg, mode);
      const ownSubset = routerCfg.modelSubset
        .map((name) => deployments.get(name))
        .filter((d): d is DeploymentConfig => d !== undefined);
      const servedDeployment = r.deployment ? deployments.get(r.deployment) : undefined;
      let everyScore: typeof decision.scores | undefined;
      const scoreOf = (name: string) =>
        decision.scores.find((s) => s.deployment === name) ??
        (everyScore ??= replay(replayCfg, mode, [
          ...new Set([
            ...candidates,
            ...ownSubset,
            ...(servedDeployment ? [servedDeployment] : []),
          ]),
        ]).scores).find((s) => s.deployment === name);
      const pick = scoreOf(decision.ordered[0]!)!;
      // As logged: the router's own subset, in the mode and artefact version the request was
      // routed with (the router's version when the logged one is not in the models folder any
      // more), whatever --subset and --version replay.
      const loggedMode = (r.routingMode as RoutingMode | undefined) ?? routerCfg.routingMode;
      const loggedCfg =
        r.routerVersion &&
        r.routerVersion !== named(routerCfg.version) &&
        known.has(r.routerVersion)
          ? { ...routerCfg, version: r.routerVersion }
          : routerCfg;
      const again =
        loggedMode === mode && replayCfg === routerCfg && loggedCfg === routerCfg && !subsetArg
          ? pick
          : scoreOf(
              replay(loggedCfg, loggedMode, ownSubset.length ? ownSubset : candidates).ordered[0]!,
            )!;
      asLogged.cost += again.predictedCostUsd;
      asLogged.quality += again.predictedQuality;
      if (again.deployment === r.deployment) asLogged.agreed++;
      // What happened, scored by the same version (a served deployment outside --subset too).
      const served = r.deployment ? scoreOf(r.deployment) : undefined;
      n++;
      simulated.cost += pick.predictedCostUsd;
      simulated.quality += pick.predictedQuality;
      simulated.share[pick.deployment] = (simulated.share[pick.deployment] ?? 0) + 1;
      actual.cost += r.costUsd;
      actual.quality += served?.predictedQuality ?? 0;
      actual.predictedCost += servedDeployment
        ? (r.promptTokens * servedDeployment.prices.inputPer1M +
            (served?.expectedOutputTokens ?? r.completionTokens) *
              servedDeployment.prices.outputPer1M) /
          1e6
        : r.costUsd;
      const key = r.deployment ?? '(none)';
      actual.share[key] = (actual.share[key] ?? 0) + 1;
      observe(r);
    }
    const norm = (share: Record<string, number>) =>
      Object.fromEntries(Object.entries(share).map(([k, v]) => [k, v / Math.max(1, n)]));
    const result = {
      requests: n,
      mode,
      subset: subsetArg ?? null,
      version: version ?? null,
      happened: {
        cost_usd: actual.cost,
        predicted_cost_usd: actual.predictedCost,
        predicted_quality: n ? actual.quality / n : 0,
        share: norm(actual.share),
      },
      replayed_as_logged: {
        predicted_cost_usd: asLogged.cost,
        predicted_quality: n ? asLogged.quality / n : 0,
        agreement: n ? asLogged.agreed / n : 0,
      },
      simulated: {
        predicted_cost_usd: simulated.cost,
        predicted_quality: n ? simulated.quality / n : 0,
        share: norm(simulated.share),
      },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const fmtShare = (s: Record<string, number>) =>
        Object.entries(s)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
          .join(', ');
      process.stdout.write(
        [
          `${n} logged requests with text replayed in ${mode} mode${subsetArg ? ` over subset ${subsetArg.join(', ')}` : ''}${version ? ` with artefact ${version} (every predicted figure below is its own)` : ''}`,
          `happened:  cost $${actual.cost.toFixed(6)} (predicted $${actual.predictedCost.toFixed(6)}), predicted quality ${result.happened.predicted_quality.toFixed(3)}; ${fmtShare(result.happened.share)}`,
          `replayed in the modes they were routed in${version ? ', with their own artefact' : ''}: predicted cost $${asLogged.cost.toFixed(6)}, predicted quality ${result.replayed_as_logged.predicted_quality.toFixed(3)}; the same deployment as served for ${(result.replayed_as_logged.agreement * 100).toFixed(0)}% (the log keeps the prompt text, not the whole request)`,
          `simulated: predicted cost $${simulated.cost.toFixed(6)}, predicted quality ${result.simulated.predicted_quality.toFixed(3)}; ${fmtShare(result.simulated.share)}`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`${requestLogReadError(err, requestLog)}\n`);
    return 1;
  }
}
