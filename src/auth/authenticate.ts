// Who is calling: the key from `Authorization: Bearer`, `api-key` (Azure) or `x-api-key`
// (Anthropic) → AuthContext with tenant, scopes and per-key overrides. Never from the body.
// Errors never contain the presented key, not even masked; a key's address list is never shown.
import type { ApiKeyConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { forbidden, unauthorized } from '../core/errors.js';
import type { AuthContext } from '../gateway/gateway-types.js';
import { ipAllowed } from './ip-allowlist.js';
import type { ApiKeyRecord, KeyStore } from './key-store.js';
import { scopeAllows } from '../core/scope-allows.js';

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** Per-key overrides the policies apply (limits, budget, mode ceiling, subset narrowing). */
export interface KeyOverrides {
  rateLimit?: ApiKeyConfig['rateLimit'];
  budget?: ApiKeyConfig['budget'];
  maxRoutingMode?: ApiKeyConfig['maxRoutingMode'];
  modelSubset?: readonly string[];
}

export interface KeyAuthContext extends AuthContext {
  overrides: KeyOverrides;
}

export const ANONYMOUS_CONTEXT: KeyAuthContext = {
  tenant: 'default',
  admin: false,
  scopes: ['*'],
  overrides: {},
};

export interface AuthenticatorOptions {
  /** The live `auth.mode`. */
  mode: () => 'none' | 'keys';
  keys: KeyStore;
  clock: Clock;
}

/** The presented key, from the first credential header present (lower-case names). */
export function extractApiKey(headers: HeaderBag): string | undefined {
  const auth = first(headers['authorization']);
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  const azure = first(headers['api-key'])?.trim();
  if (azure) return azure;
  const anthropic = first(headers['x-api-key'])?.trim();
  return anthropic || undefined;
}

/**
 * Resolve the caller. mode `keys`: missing/unknown/expired → 401. mode `none`: a valid key still
 * gives its own context (so admin keys work); anything else runs as the anonymous tenant. A key
 * with `allowedIps` used from another `clientIp` (or none known) is 403 in either mode: a
 * restricted key out of place is refused, not quietly demoted to anonymous.
 */
export function authenticate(
  headers: HeaderBag,
  options: AuthenticatorOptions,
  clientIp?: string,
): KeyAuthContext {
  const key = extractApiKey(headers);
  const required = options.mode() === 'keys';
  if (!key) {
    if (!required) return ANONYMOUS_CONTEXT;
    throw unauthorized(
      'Missing API key. Send it as "Authorization: Bearer <key>", "api-key: <key>" or "x-api-key: <key>".',
    );
  }
  const record = options.keys.findByKey(key);
  if (!record) {
    const reason = 'Incorrect API key provided.';
    if (!required) return { ...ANONYMOUS_CONTEXT, invalidKey: reason };
    throw unauthorized(reason);
  }
  if (record.expiresAt && Date.parse(record.expiresAt) <= options.clock.now()) {
    const reason = `API key ${record.id} expired at ${record.expiresAt}.`;
    if (!required) return { ...ANONYMOUS_CONTEXT, invalidKey: reason };
    throw unauthorized(reason);
  }
  if (record.allowedIps) {
    const list = options.keys.allowlistFor(record);
    if (!list || clientIp === undefined || !ipAllowed(list, clientIp))
      throw forbidden(
        `API key ${record.id} is restricted to certain client addresses; this request came from ${clientIp ?? 'an unknown address'}.`,
      );
  }
  return contextFor(record);
}

export function contextFor(record: ApiKeyRecord): KeyAuthContext {
  return {
    keyId: record.id,
    tenant: record.tenant,
    admin: record.admin,
    scopes: record.scopes,
    ...(record.maxRoutingMode ? { maxRoutingMode: record.maxRoutingMode } : {}),
    ...(record.modelSubset ? { modelSubset: record.modelSubset } : {}),
    ...(record.cache === false ? { noCache: true } : {}),
    overrides: {
      rateLimit: record.rateLimit,
      budget: record.budget,
      maxRoutingMode: record.maxRoutingMode,
      modelSubset: record.modelSubset,
    },
  };
}

/** 403 unless the caller may use this router or deployment. */
export function authorize(ctx: Pick<AuthContext, 'scopes' | 'keyId'>, name: string): void {
  if (scopeAllows(ctx.scopes, name)) return;
  throw forbidden(`API key ${ctx.keyId ?? '(anonymous)'} is not allowed to use "${name}".`);
}

/**
 * The admin API's rule, the same under either `auth.mode` (OpenAI's): no key, or one that is
 * unknown or expired, is 401 `invalid_api_key`; a valid key that is not an admin key is 403
 * `permission_error`. `what` names the endpoint family in the 401's message.
 */
export function authorizeAdmin(
  ctx: Pick<AuthContext, 'admin' | 'keyId' | 'invalidKey'>,
  what = 'This endpoint',
): void {
  if (ctx.admin) return;
  if (ctx.invalidKey) throw unauthorized(`${ctx.invalidKey} ${what} needs an admin API key.`);
  if (ctx.keyId === undefined)
    throw unauthorized(
      `${what} needs an admin API key. Send it as "Authorization: Bearer <key>", "api-key: <key>" or "x-api-key: <key>".`,
    );
  throw forbidden(`API key ${ctx.keyId} is not an admin key.`);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
