// Where the config names a deployment or pool by name (the cross-references check-references.ts
// checks), so that deleting one that is still named can say where to remove it first instead of
// failing validation at a path the caller never wrote.
import type { Config } from './schema.js';

export interface ConfigReference {
  /** Where, with names for list items: `routers[model-router].modelSubset`. */
  path: string;
  /** The same in words: `router "model-router"'s modelSubset`. */
  where: string;
  /** The admin route that changes it, when there is one. */
  route: string;
}

/** Every place in `config` that names `name` as a deployment or pool it depends on. */
export function referencesTo(config: Config, name: string): ConfigReference[] {
  const out: ConfigReference[] = [];
  for (const r of config.routers)
    if (r.modelSubset.includes(name))
      out.push({
        path: `routers[${r.name}].modelSubset`,
        where: `router "${r.name}"'s modelSubset`,
        route: `PATCH /admin/v1/routers/${r.name}`,
      });
  for (const p of config.pools)
    if (p.deployments.includes(name))
      out.push({
        path: `pools[${p.name}].deployments`,
        where: `pool "${p.name}"'s deployments`,
        route: `PATCH /admin/v1/pools/${p.name}`,
      });
  const settings: [string, string | undefined, string][] = [
    ['moderations.defaultModel', config.moderations.defaultModel, 'the config file'],
    [
      'contentFilter.moderationDeployment',
      config.contentFilter.moderationDeployment,
      'PATCH /admin/v1/settings/contentFilter',
    ],
  ];
  // Read (and checked) only while the semantic cache is on.
  if (config.cache.semantic.enabled)
    settings.push([
      'cache.semantic.embeddings',
      config.cache.semantic.embeddings,
      'PATCH /admin/v1/settings/cache',
    ]);
  for (const [path, value, route] of settings)
    if (value === name) out.push({ path, where: path, route });
  return out;
}
