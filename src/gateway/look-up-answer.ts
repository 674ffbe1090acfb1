// The answer cache's lookup for one chat request (ChatGateway.handle in chat-gateway.ts): after
// policies and input filters, before routing; the exact cache first and, after an exact miss,
// the semantic cache (semantic-cache.ts, imported only once it is on). A hit's reply is
// answer-from-cache.ts.
import type { RoutingMode } from '../config/schema.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ChatRequest } from '../core/wire-types.js';
import { requestNeeds } from '../routing/eligibility.js';
import type { RequestRecord } from '../store/request-record.js';
import type { AnswerCache, CacheHit, CachePlan } from './answer-cache.js';
import type { ChatCall, Target } from './gateway-types.js';
import { resolveMaxPrice } from './max-price.js';
import { resolveProviderPreferences } from './provider-preferences.js';
import { effectiveMode, resolveZone } from './request-target.js';
import type { SemanticLookup } from './semantic-cache.js';
import type { SemanticCacheLoader } from './semantic-cache-loader.js';

export interface AnswerLookupArgs {
  cache: AnswerCache;
  /** Loaded and built when `cache.semantic.enabled` is first seen, not before. */
  semanticCache: SemanticCacheLoader;
  snapshot: RuntimeConfig;
  call: ChatCall;
  /** The request as the input filter left it. */
  request: ChatRequest;
  target: Target;
  /** Admission's routing mode (a budget near its limit: cost). */
  modeOverride: RoutingMode | undefined;
  promptTokens: number;
  record: RequestRecord;
}

/** What the lookup found (the caller's `{}` when the target does not use the cache). */
export interface AnswerLookup {
  /** The cache's part in this request, for the answer to be kept by. */
  cachePlan?: CachePlan;
  semantic?: SemanticLookup;
  hit?: CacheHit;
  /** The router's routing mode, which the cache key names. */
  mode?: RoutingMode;
  /** The key's cap on the routing mode, as a warning (effectiveMode). */
  keyCap?: string;
}

/**
 * Looks the request up in the answer cache (the caller checks that it and the target use it),
 * setting the record's `cache` (miss or bypass) and, for a semantic lookup, its cost so far (the
 * embedding call).
 */
export async function lookUpAnswer(args: AnswerLookupArgs): Promise<AnswerLookup> {
  const { cache, snapshot, call, request, target, promptTokens, record } = args;
  const zone = resolveZone(call, target);
  const modeChoice =
    target.kind === 'router' ? effectiveMode(call, target.router, args.modeOverride) : undefined;
  const mode = modeChoice?.mode;
  const cachePlan = cache.plan(snapshot.config.cache, call, request, target, mode, zone);
  record.cache = cachePlan.read || cachePlan.write ? 'miss' : 'bypass';
  // Every field named, as planRoute's (a spread then new keys: a hidden class a request).
  const needs = requestNeeds(request, promptTokens, {
    dataZone: zone.dataZone,
    regions: zone.regions,
    maxPrice: resolveMaxPrice(call),
    providers: resolveProviderPreferences(request)?.narrowing,
  });
  let hit = await cache.lookup(cachePlan, snapshot, call, target, needs);
  let semantic: SemanticLookup | undefined;
  // Off (the default): one property read, nothing imported or allocated.
  if (!hit && cachePlan.read && snapshot.config.cache.semantic.enabled) {
    semantic = await (
      await args.semanticCache.load(cache)
    ).lookup({ snapshot, plan: cachePlan, call, request, target, mode, zone, needs });
    hit = semantic?.hit;
    // Spent whatever happens next (account() adds the answer's cost to it).
    record.costUsd = semantic?.costUsd ?? 0;
  }
  return { cachePlan, semantic, hit, mode, keyCap: modeChoice?.keyCap };
}
