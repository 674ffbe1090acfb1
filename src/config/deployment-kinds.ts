// What a deployment can be: the providers, the kinds of model and the paths they are served on,
// which providers have which upstream APIs (Batch, moderation, media, rerank), and the limits of
// an upstream batch. Read by the deployment schema (deployment-schema.ts) and the request path.
import type { DeploymentConfig } from './deployment-schema.js';

export const PROVIDER_KINDS = [
  'openai',
  'azure',
  'openai-compatible',
  'anthropic',
  'simulated',
] as const;
/** Providers whose upstream has a Batch API the router can forward batch lines to (`batchApi`). */
export const BATCH_API_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'azure',
  'anthropic',
  'simulated',
];
/** The most one upstream batch takes, per provider (OpenAI's Batch API; Anthropic's Message Batches). */
const BATCH_API_LIMITS: Partial<Record<ProviderKind, { maxLines: number; maxMegabytes: number }>> =
  { anthropic: { maxLines: 100_000, maxMegabytes: 256 } };
const DEFAULT_BATCH_API_LIMITS = { maxLines: 50_000, maxMegabytes: 200 };

/** A provider's default limits of one upstream batch (its `maxMegabytes` is also its most). */
export function providerBatchApiLimits(provider: ProviderKind): {
  maxLines: number;
  maxMegabytes: number;
} {
  return BATCH_API_LIMITS[provider] ?? DEFAULT_BATCH_API_LIMITS;
}

/** The limits of `d`'s upstream batches: its own `batchApi` settings, else its provider's. */
export function batchApiLimits(d: DeploymentConfig): { maxLines: number; maxMegabytes: number } {
  const limits = providerBatchApiLimits(d.provider);
  return {
    maxLines: d.batchApi?.maxLines ?? limits.maxLines,
    maxMegabytes: d.batchApi?.maxMegabytes ?? limits.maxMegabytes,
  };
}
/**
 * Providers with a moderation API (`kind: moderation`): OpenAI's `/v1/moderations` and servers
 * that copy it. Azure OpenAI has none (its v1 and dated specs list no `/moderations` path;
 * it moderates through its content filters), Anthropic neither.
 */
export const MODERATION_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'openai-compatible',
  'simulated',
];
/**
 * Providers with OpenAI's image and audio APIs (`kind: images | speech | transcription`): OpenAI,
 * Azure OpenAI (the same paths under its deployment), servers that copy them, and the simulated
 * fleet. Anthropic has none.
 */
export const MEDIA_PROVIDERS: readonly ProviderKind[] = [
  'openai',
  'azure',
  'openai-compatible',
  'simulated',
];
/**
 * Providers with a rerank API (`kind: rerank`): servers that speak Cohere's rerank body (vLLM,
 * Infinity, Jina, Cohere itself, Cohere models on Azure AI Foundry's serverless endpoints) and the
 * simulated fleet. OpenAI and Azure OpenAI have none, Anthropic neither.
 */
export const RERANK_PROVIDERS: readonly ProviderKind[] = ['openai-compatible', 'simulated'];
/**
 * Providers whose API reads inline images only as PNG, JPEG, GIF or WebP, by their bytes' own type
 * (Claude: https://docs.claude.com/en/docs/build-with-claude/vision). A request with an inline
 * image of another type is routed elsewhere, or answered 400 naming it (eligibility's
 * `image_type`); others get it as sent, and judge it themselves (vLLM reads any type Pillow does).
 */
export const COMMON_IMAGE_TYPES_ONLY_PROVIDERS: readonly ProviderKind[] = ['anthropic'];
export const DEPLOYMENT_KINDS = [
  'chat',
  'embeddings',
  'moderation',
  'images',
  'speech',
  'transcription',
  'rerank',
  'realtime',
] as const;
/** The path a kind of model is served on (its requests go there, by name). */
export const KIND_PATHS: Record<(typeof DEPLOYMENT_KINDS)[number], string> = {
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  moderation: '/v1/moderations',
  images: '/v1/images/generations',
  speech: '/v1/audio/speech',
  transcription: '/v1/audio/transcriptions',
  rerank: '/v1/rerank',
  realtime: '/v1/realtime',
};
export const DEPLOYMENT_TYPES = ['GlobalStandard', 'DataZoneStandard', 'Standard'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
