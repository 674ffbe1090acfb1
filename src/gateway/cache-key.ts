// The answer cache's keys: a hash of what makes two requests the same, so keys are short and
// carry no prompt text into the store's key space.
import { createHash } from 'node:crypto';
import { targetName, type Target } from './gateway-types.js';

/** The part of a cache key that names what was called. */
export function targetKey(target: Target): string {
  return target.kind === 'deployment'
    ? target.deployment.name
    : `${target.kind}:${targetName(target)}`;
}

/** The key of `material` (what makes two requests the same). */
export function cacheKey(material: unknown): string {
  return hashKey(JSON.stringify(material));
}

/** The key of text already serialised (a shared head and one part, say). */
export function hashKey(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
