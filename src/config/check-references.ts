// The cross-references the config schema cannot check (subset and pool members, duplicate names,
// zones, the kinds a provider serves, the models other settings name): issues refuse the config,
// warnings are allowed but an operator should know. Run by parseConfig (load-config.ts).
import type { Config } from './schema.js';
import {
  BATCH_API_PROVIDERS,
  KIND_PATHS,
  MEDIA_PROVIDERS,
  MODERATION_PROVIDERS,
  RERANK_PROVIDERS,
  providerBatchApiLimits,
} from './deployment-kinds.js';
import { MODERATION_CATEGORIES } from '../core/moderation-input.js';

/** Every issue (`path: what to fix`) and warning of the config's cross-references. */
export function checkReferences(config: Config): { issues: string[]; warnings: string[] } {
  const issues: string[] = [];
  const warnings: string[] = [];
  const deploymentNames = new Set<string>();
  config.deployments.forEach((d, i) => {
    if (deploymentNames.has(d.name))
      issues.push(`deployments[${i}].name: duplicate deployment name "${d.name}"`);
    deploymentNames.add(d.name);
    if (
      d.provider !== 'simulated' &&
      !d.baseUrl &&
      d.provider !== 'openai' &&
      d.provider !== 'anthropic'
    )
      issues.push(`deployments[${i}].baseUrl: required for provider "${d.provider}"`);
    if (d.kind === 'chat' && d.maxOutputTokens === undefined)
      issues.push(`deployments[${i}].maxOutputTokens: required for a chat deployment`);
    if (d.kind === 'embeddings' && d.provider === 'anthropic')
      issues.push(
        `deployments[${i}].kind: Anthropic serves no embeddings; use an OpenAI, Azure or OpenAI-compatible embedding model`,
      );
    if (d.kind === 'moderation' && !MODERATION_PROVIDERS.includes(d.provider))
      issues.push(
        `deployments[${i}].kind: provider "${d.provider}" has no moderation API (Azure OpenAI moderates through its content filters); use an OpenAI or OpenAI-compatible moderation model (${MODERATION_PROVIDERS.join(', ')})`,
      );
    if (
      (d.kind === 'images' || d.kind === 'speech' || d.kind === 'transcription') &&
      !MEDIA_PROVIDERS.includes(d.provider)
    )
      issues.push(
        `deployments[${i}].kind: provider "${d.provider}" has no ${d.kind === 'images' ? 'image generation' : d.kind === 'speech' ? 'text-to-speech' : 'transcription'} API (Anthropic serves chat only); use an OpenAI, Azure OpenAI or OpenAI-compatible ${d.kind} model (${MEDIA_PROVIDERS.join(', ')})`,
      );
    if (d.kind === 'rerank' && !RERANK_PROVIDERS.includes(d.provider))
      issues.push(
        `deployments[${i}].kind: provider "${d.provider}" has no rerank API (OpenAI, Azure OpenAI and Anthropic serve none); use a server that speaks Cohere's rerank body (vLLM, Infinity, Jina, Cohere, a Cohere model on an Azure AI Foundry serverless endpoint) as provider "openai-compatible" with rerankPath, or the simulated fleet (${RERANK_PROVIDERS.join(', ')})`,
      );
    if (d.rerankPath !== undefined && d.kind !== 'rerank')
      warnings.push(
        `deployments[${i}].rerankPath: only a rerank deployment (kind: rerank) sends rerank requests; this ${d.kind} deployment ignores it`,
      );
    if (d.kind === 'realtime' && !MEDIA_PROVIDERS.includes(d.provider))
      issues.push(
        `deployments[${i}].kind: provider "${d.provider}" has no Realtime API (Anthropic serves chat only); use an OpenAI, Azure OpenAI or OpenAI-compatible realtime model such as gpt-realtime (${MEDIA_PROVIDERS.join(', ')})`,
      );
    for (const category of Object.keys(d.simulation?.flagWords ?? {}))
      if (!(MODERATION_CATEGORIES as readonly string[]).includes(category))
        issues.push(
          `deployments[${i}].simulation.flagWords.${category}: not a moderation category (${MODERATION_CATEGORIES.join(', ')})`,
        );
    if (d.batchApi?.enabled && !BATCH_API_PROVIDERS.includes(d.provider))
      issues.push(
        `deployments[${i}].batchApi: provider "${d.provider}" has no Batch API the router can forward to (${BATCH_API_PROVIDERS.join(', ')} have)`,
      );
    const mostMegabytes = providerBatchApiLimits(d.provider).maxMegabytes;
    if ((d.batchApi?.maxMegabytes ?? 0) > mostMegabytes)
      issues.push(
        `deployments[${i}].batchApi.maxMegabytes: at most ${mostMegabytes} for provider "${d.provider}" (its Batch API's limit)`,
      );
    if (d.batchApi?.enabled && d.kind !== 'chat')
      issues.push(`deployments[${i}].batchApi: only chat deployments forward batch lines`);
    if (d.promptCaching === 'auto' && d.provider !== 'anthropic')
      warnings.push(
        `deployments[${i}].promptCaching: "auto" marks breakpoints for Claude only; provider "${d.provider}" ignores it`,
      );
    if (d.forwardClientBetas !== true && d.provider !== 'anthropic')
      warnings.push(
        `deployments[${i}].forwardClientBetas: Anthropic's betas are sent to Claude only; provider "${d.provider}" never gets them`,
      );
    if (d.provider === 'azure' && !d.apiVersion)
      issues.push(`deployments[${i}].apiVersion: required for provider "azure" (e.g. 2024-10-21)`);
    if (d.deploymentType === 'DataZoneStandard' && d.dataZone === 'global')
      issues.push(
        `deployments[${i}].dataZone: a DataZoneStandard deployment needs its zone (e.g. "eu" or "us")`,
      );
  });
  const routerNames = new Set<string>();
  config.routers.forEach((r, i) => {
    if (routerNames.has(r.name))
      issues.push(`routers[${i}].name: duplicate router name "${r.name}"`);
    if (deploymentNames.has(r.name))
      issues.push(
        `routers[${i}].name: "${r.name}" is also a deployment name; names must be unique`,
      );
    routerNames.add(r.name);
    r.modelSubset.forEach((m, j) => {
      if (!deploymentNames.has(m))
        issues.push(
          `routers[${i}].modelSubset[${j}]: unknown deployment "${m}" (known: ${[...deploymentNames].join(', ')})`,
        );
      else {
        const kind = config.deployments.find((d) => d.name === m)?.kind;
        if (kind !== undefined && kind !== 'chat')
          issues.push(
            `routers[${i}].modelSubset[${j}]: "${m}" is ${kind === 'embeddings' || kind === 'images' ? 'an' : 'a'} ${kind} deployment; routers route chat (clients call it by name on ${KIND_PATHS[kind]})`,
          );
      }
    });
    if (new Set(r.modelSubset).size !== r.modelSubset.length)
      issues.push(`routers[${i}].modelSubset: lists a deployment twice`);
    if (r.deploymentType === 'DataZoneStandard' && !r.dataZone)
      issues.push(`routers[${i}].dataZone: required when deploymentType is DataZoneStandard`);
    // Members outside the router's zone are never eligible (eligibility.ts: the zone must match):
    // said at load, not found out as 'no eligible deployment' (routing audit R4, 2026-12-06).
    if (r.deploymentType === 'DataZoneStandard' && r.dataZone) {
      const outside = r.modelSubset
        .map((m) => config.deployments.find((d) => d.name === m))
        .filter((d) => d !== undefined && d.dataZone !== r.dataZone)
        .map((d) => `${d!.name} (${d!.dataZone})`);
      if (outside.length)
        warnings.push(
          `router "${r.name}" keeps its requests in data zone "${r.dataZone}": ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside it and never serve${outside.length === 1 ? 's' : ''} it${outside.length === r.modelSubset.length ? ' (no member of its subset can: every request will be refused)' : ''}`,
        );
    }
    if (r.modelSubset.length < 2)
      warnings.push(
        `router "${r.name}" has ${r.modelSubset.length} model in its subset: no failover is possible`,
      );
  });
  const poolNames = new Set<string>();
  config.pools.forEach((p, i) => {
    if (poolNames.has(p.name)) issues.push(`pools[${i}].name: duplicate pool name "${p.name}"`);
    if (deploymentNames.has(p.name) || routerNames.has(p.name))
      issues.push(
        `pools[${i}].name: "${p.name}" is also a ${deploymentNames.has(p.name) ? 'deployment' : 'router'} name; names must be unique`,
      );
    poolNames.add(p.name);
    const members = p.deployments.map((m) => config.deployments.find((d) => d.name === m));
    p.deployments.forEach((m, j) => {
      const d = members[j];
      if (!d)
        issues.push(
          `pools[${i}].deployments[${j}]: unknown deployment "${m}" (known: ${[...deploymentNames].join(', ')})`,
        );
    });
    const known = members.filter((d) => d !== undefined);
    const kinds = new Set(known.map((d) => d.kind));
    if (kinds.size > 1)
      issues.push(
        `pools[${i}].deployments: mixes ${[...kinds].join(' and ')} deployments (${known.map((d) => `${d.name}: ${d.kind}`).join(', ')}); a pool serves one kind`,
      );
    if (new Set(p.deployments).size !== p.deployments.length)
      issues.push(`pools[${i}].deployments: lists a deployment twice`);
    for (const w of Object.keys(p.weights ?? {}))
      if (!p.deployments.includes(w))
        issues.push(`pools[${i}].weights.${w}: "${w}" is not a member of the pool`);
    if (p.weights && p.strategy !== 'weighted')
      warnings.push(
        `pool "${p.name}": weights are read by the weighted strategy only (it is ${p.strategy})`,
      );
    if (
      p.strategy === 'weighted' &&
      p.weights &&
      p.deployments.every((m) => (p.weights?.[m] ?? 1) === 0)
    )
      issues.push(`pools[${i}].weights: every member has weight 0; give at least one a share`);
    // A member's model: what it is `like`, else its upstream name (Azure: the deployment's name).
    const models = new Set(known.map((d) => d.like ?? d.model));
    if (models.size > 1 && kinds.size === 1 && kinds.has('embeddings'))
      issues.push(
        `pools[${i}].deployments: embedding models ${[...models].join(', ')}: vectors of different models cannot be compared, so an embeddings pool is one model (where upstream names differ, say which with \`like:\` on each member)`,
      );
    else if (models.size > 1)
      warnings.push(
        `pool "${p.name}" may mix models (${[...models].join(', ')}): its members should answer alike (to choose between models by quality and cost, use a router; \`like:\` names the model a member is)`,
      );
    if (p.deployments.length < 2)
      warnings.push(`pool "${p.name}" has one member: no failover is possible`);
  });
  issues.push(...checkSemanticCache(config));
  issues.push(...checkModerationModels(config));
  if (config.state.kind === 'redis' && !config.state.redisUrl)
    issues.push('state.redisUrl: required when state.kind is "redis"');
  if (config.requestLog.kind === 'postgres' && !config.requestLog.postgresUrl)
    issues.push('requestLog.postgresUrl: required when requestLog.kind is "postgres"');
  // The outbox lives in the request-log store; without one, in this process only.
  if (
    config.requestLog.kind === 'none' &&
    config.batches.enabled &&
    config.batches.webhooks.length > 0
  )
    warnings.push(
      'batches.webhooks: with requestLog.kind "none" the webhook outbox (and the batches) are kept in memory: deliveries not yet made are lost when this process restarts, and no other replica sends them. Use requestLog.kind "sqlite" or "postgres" to keep them.',
    );
  return { issues, warnings };
}

/**
 * The moderation models the config names (`moderations.defaultModel`,
 * `contentFilter.moderationDeployment`): each a moderation deployment or a pool of them.
 */
function checkModerationModels(config: Config): string[] {
  const issues: string[] = [];
  const known = config.deployments.filter((d) => d.kind === 'moderation').map((d) => d.name);
  const check = (path: string, name: string | undefined) => {
    if (name === undefined) return;
    const pool = config.pools.find((p) => p.name === name);
    const first = config.deployments.find((d) => d.name === (pool ? pool.deployments[0] : name));
    if (first?.kind !== 'moderation')
      issues.push(
        `${path}: "${name}" is not a moderation deployment (kind: moderation) nor a pool of them (moderation deployments: ${known.join(', ') || 'none'})`,
      );
  };
  check('moderations.defaultModel', config.moderations.defaultModel);
  const filter = config.contentFilter;
  if (filter.moderationDeployment !== undefined && filter.moderationUrl !== undefined)
    issues.push('contentFilter.moderationDeployment: set it or moderationUrl, not both');
  else check('contentFilter.moderationDeployment', filter.moderationDeployment);
  return issues;
}

/** `cache.semantic` on: it reads the exact cache's entries and needs an embedding model to call. */
function checkSemanticCache(config: Config): string[] {
  const semantic = config.cache.semantic;
  if (!semantic.enabled) return [];
  const issues: string[] = [];
  if (!config.cache.enabled)
    issues.push(
      'cache.semantic.enabled: needs cache.enabled (semantic hits are answers the answer cache keeps)',
    );
  const name = semantic.embeddings;
  const embeddingModels = config.deployments.filter((d) => d.kind === 'embeddings');
  const known = `embedding deployments and pools: ${[
    ...embeddingModels.map((d) => d.name),
    ...config.pools
      .filter((p) => embeddingModels.some((d) => d.name === p.deployments[0]))
      .map((p) => p.name),
  ].join(', ')}`;
  if (name === undefined) {
    issues.push(`cache.semantic.embeddings: required when cache.semantic.enabled (${known})`);
    return issues;
  }
  const deployment = config.deployments.find((d) => d.name === name);
  const pool = config.pools.find((p) => p.name === name);
  const members = pool
    ? pool.deployments.map((m) => config.deployments.find((d) => d.name === m))
    : [deployment];
  if (!deployment && !pool)
    issues.push(`cache.semantic.embeddings: unknown deployment or pool "${name}" (${known})`);
  else if (members.some((d) => d?.kind !== 'embeddings'))
    issues.push(
      `cache.semantic.embeddings: "${name}" is not an embedding model (kind: embeddings) nor a pool of them (${known})`,
    );
  return issues;
}
