// The answer cache's keys: a hash of what makes two requests the same, so keys are short and
// carry no prompt text into the store's key space. Bodies are read as canonical JSON (object keys
// sorted), so the order a client writes its keys in does not make another entry.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { RoutingMode } from '../config/schema.js';
import { targetName, type ChatCall, type Target } from './gateway-types.js';

/** The part of a cache key that names what was called. */
export function targetKey(target: Target): string {
  return target.kind === 'deployment'
    ? target.deployment.name
    : `${target.kind}:${targetName(target)}`;
}

/**
 * Who shares a kept chat answer and under what routing: tenant, key subset, what was called, the
 * routing mode, the data zone and regions. The exact key and the semantic partition both hold it.
 */
export function answerScope(
  call: Pick<ChatCall, 'auth'>,
  target: Target,
  mode: RoutingMode | undefined,
  zone: { dataZone?: string; regions?: ReadonlySet<string> },
): unknown[] {
  return [
    call.auth.tenant,
    call.auth.modelSubset ?? null,
    targetKey(target),
    mode ?? null,
    zone.dataZone ?? null,
    zone.regions ? [...zone.regions].sort() : null,
  ];
}

/** The key of `material` (what makes two requests the same), serialised once, keys sorted. */
export function cacheKey(material: unknown): string {
  return hashKey(canonicalJson(material));
}

/** The key of text already serialised (a shared head and one part, say). */
export function hashKey(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
