// OpenRouter's provider routing object (`provider` in a request body,
// https://openrouter.ai/docs/features/provider-routing) in this router's terms: its providers are
// deployments, named by deployment name or by provider kind (`openai`, `azure`, …). `only`,
// `ignore` and the data promises (`data_collection: "deny"`, `zdr`) narrow eligibility; `sort`,
// `order` and `allow_fallbacks` set a pool's order of trial. `max_price` is max-price.ts's. The
// object is the router's: none of it goes upstream (reasoning-params.ts drops it).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { invalidRequest } from '../core/errors.js';
import { isObject } from '../core/is-object.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { ProviderNarrowing } from '../routing/eligibility.js';
import { namedIn } from '../routing/eligibility.js';
import type { DeploymentLoad } from './deployment-load.js';
import { describeValue } from '../core/describe-value.js';

export type ProviderSort = 'price' | 'throughput' | 'latency';

export interface ProviderPreferences {
  narrowing?: ProviderNarrowing;
  /** Deployments (or provider kinds) to try first, in this order. */
  order?: readonly string[];
  /** `allow_fallbacks: false`: the first choice only (with `order`: those it names only). */
  noFallbacks: boolean;
  sort?: ProviderSort;
  /** What was accepted and not acted on, for `x-router-warnings`. */
  warnings: string[];
}

/** At most this many names in `order`, `only` or `ignore` (a fleet's deployments, with room). */
const MAX_NAMES = 64;
const SORTS = new Set<string>(['price', 'throughput', 'latency']);
/** Fields read here or by max-price.ts; others are accepted with a warning. */
const KNOWN = new Set([
  'order',
  'only',
  'ignore',
  'allow_fallbacks',
  'sort',
  'require_parameters',
  'data_collection',
  'zdr',
  'quantizations',
  'max_price',
]);

/** The request's preferences, undefined without `provider`; a 400 naming `provider.<field>`. */
export function resolveProviderPreferences(request: ChatRequest): ProviderPreferences | undefined {
  const provider = (request as { provider?: unknown }).provider;
  if (provider === undefined || provider === null) return undefined;
  if (!isObject(provider))
    throw invalidRequest(
      'provider must be an object of provider preferences such as {"only": ["my-deployment"], "allow_fallbacks": false}.',
      'provider',
      'invalid_type',
    );
  const warnings: string[] = [];
  const only = names(provider, 'only');
  const ignore = names(provider, 'ignore');
  const order = names(provider, 'order');
  const allowFallbacks = flag(provider, 'allow_fallbacks');
  flag(provider, 'require_parameters'); // Always so here: a deployment lacking one is not eligible.
  const zdr = flag(provider, 'zdr');
  const dataCollection = provider.data_collection;
  if (
    dataCollection !== undefined &&
    dataCollection !== null &&
    dataCollection !== 'allow' &&
    dataCollection !== 'deny'
  )
    throw invalidRequest(
      `provider.data_collection must be "allow" or "deny" (got ${describeValue(dataCollection)}).`,
      'provider.data_collection',
      'invalid_value',
    );
  const sort = sortOf(provider.sort);
  if (sort === 'throughput')
    warnings.push(
      'provider.sort throughput not applied: the router measures latency, not throughput (sort "latency" orders a pool by it)',
    );
  if (provider.quantizations !== undefined && provider.quantizations !== null) {
    if (!Array.isArray(provider.quantizations))
      throw invalidRequest(
        'provider.quantizations must be an array such as ["fp16", "bf16"].',
        'provider.quantizations',
        'invalid_type',
      );
    warnings.push('provider.quantizations not applied: deployments declare no quantization');
  }
  // The key is the client's and the warning goes out in a header: a line break or a character
  // past Latin-1 made Node refuse the header, a 500 after the upstream had answered.
  for (const key of Object.keys(provider))
    if (!KNOWN.has(key))
      warnings.push(
        `provider.${key.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')} not applied: the router does not read it`,
      );
  const narrowing: ProviderNarrowing = {
    ...(only ? { only } : {}),
    ...(ignore ? { ignore } : {}),
    ...(dataCollection === 'deny' ? { noTraining: true } : {}),
    ...(zdr ? { zeroRetention: true } : {}),
  };
  return {
    ...(Object.keys(narrowing).length ? { narrowing } : {}),
    ...(order ? { order } : {}),
    noFallbacks: allowFallbacks === false,
    ...(sort && sort !== 'throughput' ? { sort } : {}),
    warnings,
  };
}

/**
 * A pool's eligible members in the order the preferences ask for: `sort` (price: the sum of the
 * prompt and completion prices per 1M tokens; latency: the moving average the `latency` strategy
 * reads, unmeasured members after, in their order) replaces the pool's strategy, `order` puts
 * the members it names first, and `allow_fallbacks: false` keeps the first choice only (with
 * `order`: the members it names only). Stable: ties keep the pool's order.
 */
export function orderByPreferences(
  ordered: readonly DeploymentConfig[],
  prefs: ProviderPreferences,
  load: DeploymentLoad,
  streaming: boolean,
): DeploymentConfig[] {
  let out = [...ordered];
  if (prefs.sort === 'price') {
    const price = (d: DeploymentConfig) => d.prices.inputPer1M + d.prices.outputPer1M;
    out.sort((a, b) => price(a) - price(b));
  } else if (prefs.sort === 'latency') {
    const kind = streaming ? 'firstToken' : 'answer';
    const ms = (d: DeploymentConfig) => load.latencyMs(d.name, kind) ?? Infinity;
    // Unmeasured is Infinity: compared, not subtracted (Infinity - Infinity is NaN).
    out.sort((a, b) => (ms(a) === ms(b) ? 0 : ms(a) < ms(b) ? -1 : 1));
  }
  const order = prefs.order;
  if (order) {
    const rank = (d: DeploymentConfig) => {
      const i = order.findIndex((n) => namedIn([n], d));
      return i < 0 ? order.length : i;
    };
    out.sort((a, b) => rank(a) - rank(b));
    if (prefs.noFallbacks) out = out.filter((d) => namedIn(order, d));
  }
  return prefs.noFallbacks ? out.slice(0, order ? undefined : 1) : out;
}

function names(provider: Record<string, unknown>, key: string): string[] | undefined {
  const v = provider[key];
  if (v === undefined || v === null) return undefined;
  if (
    !Array.isArray(v) ||
    v.length > MAX_NAMES ||
    v.some((n) => typeof n !== 'string' || n.length === 0)
  )
    throw invalidRequest(
      `provider.${key} must be an array of at most ${MAX_NAMES} deployment names or provider kinds (openai, azure, anthropic, …).`,
      `provider.${key}`,
      'invalid_value',
    );
  return v as string[];
}

function flag(provider: Record<string, unknown>, key: string): boolean | undefined {
  const v = provider[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean')
    throw invalidRequest(
      `provider.${key} must be true or false (got ${describeValue(v)}).`,
      `provider.${key}`,
      'invalid_type',
    );
  return v;
}

/** `sort` as a string, or OpenRouter's object form `{by: "price"}`. */
function sortOf(sort: unknown): ProviderSort | undefined {
  if (sort === undefined || sort === null) return undefined;
  const by = isObject(sort) ? sort.by : sort;
  if (typeof by !== 'string' || !SORTS.has(by))
    throw invalidRequest(
      `provider.sort must be "price", "throughput" or "latency" (got ${describeValue(sort)}).`,
      'provider.sort',
      'invalid_value',
    );
  return by as ProviderSort;
}
