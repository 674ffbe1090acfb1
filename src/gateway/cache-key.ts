// The answer cache's keys: a hash of what makes two requests the same, so keys are short and
// carry no prompt text into the store's key space. Bodies are read as canonical JSON (object keys
// sorted), so the order a client writes its keys in does not make another entry.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import { targetName, type Target } from './gateway-types.js';

/** The part of a cache key that names what was called. */
export function targetKey(target: Target): string {
  return target.kind === 'deployment'
    ? target.deployment.name
    : `${target.kind}:${targetName(target)}`;
}

/** The key of `material` (what makes two requests the same), serialised once, keys sorted. */
export function cacheKey(material: unknown): string {
  return hashKey(canonicalJson(material));
}

/** The key of text already serialised (a shared head and one part, say). */
export function hashKey(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
