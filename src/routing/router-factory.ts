// Routers by artefact version: each router deployment names a version (`latest` = newest in the
// models folder); artefacts load once and are shared. A version that cannot be loaded is a config
// error (`routerFor.issues`: start-up, `check-config`, the admin API and file reloads refuse it);
// only `latest` over a folder with no dated artefact falls back to the documented placeholder
// policy ("cheapest capable model"), and says so in the log. Each time a config is applied
// (start-up, a file reload, an admin change: `issues` runs), each version is found again: `latest`
// moves to the newest file, and a file written again in place is read again (before, a running
// router kept the artefact it first loaded until a restart: routing audit, 2026-12-06).
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, RouterConfig } from '../config/schema.js';
import { createCheapestCapableRouter } from './cheapest-capable-router.js';
import {
  DATED_ARTEFACT,
  artefactVersions,
  loadServedArtefact,
  resolveArtefactPath,
} from './artefact-files.js';
import type { Router } from './router-types.js';
import { createTrainedRouter } from './trained-router.js';

/** `models/` at the package root (from src/ or dist/src/). */
export const DEFAULT_MODELS_DIR = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/') ? '../../../models/' : '../../models/',
    import.meta.url,
  ),
);

/**
 * The router of a router deployment, and `issues`: the routers of a config whose artefact version
 * cannot be loaded from this factory's folder, as config issues (`routers[i].version: …`). A
 * mistyped version would otherwise route every request to the cheapest capable deployment.
 * `latest` over a folder with no dated artefact is not an issue (the placeholder, with a warning).
 */
export type RouterFactory = ((router: RouterConfig) => Router) & {
  issues(config: Config): string[];
};

export function createRouterFactory(modelsDir: string, warn: (msg: string) => void): RouterFactory {
  const byVersion = new Map<string, { router: Router; problem?: string; file: string }>();
  const placeholder = createCheapestCapableRouter();
  /** The file a version selects now, and when it was last written ('' when there is none). */
  const fileOf = (version: string): string => {
    try {
      const file = resolveArtefactPath(modelsDir, version);
      return `${file}@${statSync(file).mtimeMs}`;
    } catch {
      return '';
    }
  };
  const load = (version: string) => {
    let made = byVersion.get(version);
    if (made) return made;
    const file = fileOf(version);
    try {
      made = {
        router: createTrainedRouter(loadServedArtefact(modelsDir, version)),
        file,
      };
    } catch (err) {
      made = { router: placeholder, problem: (err as Error).message, file };
    }
    byVersion.set(version, made);
    return made;
  };
  /** Forgets a version whose file changed (`latest` a newer one, or one written again). */
  const refresh = (router: RouterConfig) => {
    const made = byVersion.get(router.version);
    if (made && made.file !== fileOf(router.version)) {
      byVersion.delete(router.version);
      warned.delete(router.name);
    }
  };
  const warned = new Set<string>();
  const routerFor = (router: RouterConfig): Router => {
    const made = load(router.version);
    if (made.problem && !warned.has(router.name)) {
      warned.add(router.name);
      warn(
        `routing: no usable artefact "${router.version}" in ${modelsDir} (${made.problem}); router ${router.name} uses the placeholder "cheapest capable model" policy`,
      );
    }
    return made.router;
  };
  const issues = (config: Config): string[] => {
    // A folder that is not there is a typo, not a folder with no artefact in it: every router
    // would route to the cheapest capable model.
    if (config.routers.length > 0 && !existsSync(modelsDir))
      return [
        `routing.modelsDir: ${modelsDir} does not exist${isAbsolute(modelsDir) ? '' : ` (a relative path is read from the current directory, ${process.cwd()})`}; the routers' artefacts are read from it`,
      ];
    const versions = artefactVersions(modelsDir);
    const available = `available: ${[...versions, 'latest'].join(', ')}`;
    const out: string[] = [];
    for (const r of config.routers) refresh(r);
    config.routers.forEach((r, i) => {
      if (r.version === 'latest' && !versions.some((v) => DATED_ARTEFACT.test(`${v}.json`))) return;
      if (r.version !== 'latest' && !versions.includes(r.version))
        out.push(
          `routers[${i}].version: no routing artefact "${r.version}" in ${modelsDir}; ${available}`,
        );
      else {
        const { problem } = load(r.version);
        if (problem)
          out.push(
            `routers[${i}].version: the routing artefact "${r.version}" in ${modelsDir} cannot be used (${problem}); ${available}`,
          );
      }
    });
    return out;
  };
  return Object.assign(routerFor, { issues });
}

/** What the routing model makes of every router's subset (`Router.describeSubset`), router by router. */
export function subsetNotes(config: Config, routerFor: (router: RouterConfig) => Router): string[] {
  return config.routers.flatMap(
    (router) => routerFor(router).describeSubset?.(router, config.deployments) ?? [],
  );
}
