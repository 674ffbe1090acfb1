// Routers by artefact version: each router deployment names a version (`latest` = newest in the
// models folder); artefacts load once and are shared. Without a loadable artefact the router falls
// back to the documented placeholder policy ("cheapest capable model") and says so in the log.
import { fileURLToPath } from 'node:url';
import type { Config, RouterConfig } from '../config/schema.js';
import { createCheapestCapableRouter } from './cheapest-capable-router.js';
import { loadArtefactFile, resolveArtefactPath } from './routing-model.js';
import type { Router } from './router-types.js';
import { createTrainedRouter } from './trained-router.js';

/** `models/` at the package root (from src/ or dist/src/). */
export const DEFAULT_MODELS_DIR = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/') ? '../../../models/' : '../../models/',
    import.meta.url,
  ),
);

export function createRouterFactory(
  modelsDir: string,
  warn: (msg: string) => void,
): (router: RouterConfig) => Router {
  const byVersion = new Map<string, Router>();
  const placeholder = createCheapestCapableRouter();
  return (router) => {
    const cached = byVersion.get(router.version);
    if (cached) return cached;
    let made: Router;
    try {
      made = createTrainedRouter(loadArtefactFile(resolveArtefactPath(modelsDir, router.version)));
    } catch (err) {
      warn(
        `routing: no usable artefact "${router.version}" in ${modelsDir} (${(err as Error).message}); router ${router.name} uses the placeholder "cheapest capable model" policy`,
      );
      made = placeholder;
    }
    byVersion.set(router.version, made);
    return made;
  };
}

/** What the routing model makes of every router's subset (`Router.describeSubset`), router by router. */
export function subsetNotes(config: Config, routerFor: (router: RouterConfig) => Router): string[] {
  return config.routers.flatMap(
    (router) => routerFor(router).describeSubset?.(router, config.deployments) ?? [],
  );
}
