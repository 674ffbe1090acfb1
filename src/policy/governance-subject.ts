// Who a request is charged to: whose budgets its spend goes to, and its key's own rate limit.
// Shared by the governance policies (governance-policies.ts, governance-admit.ts) and the usage
// routes, so a caller's usage reads the same budgets admission charges.
import type { KeyAuthContext } from '../auth/authenticate.js';
import type { KeyStore } from '../auth/key-store.js';
import type { AdmitContext } from '../gateway/gateway-types.js';
import type { Attribution } from '../gateway/attribution.js';
import type { BudgetSubject } from './budget.js';

/**
 * Whose budgets a caller's spend goes to: its key (with the key's own budget: the auth context's
 * overrides, else the key store's record), its tenant, and the end user and tags it names.
 */
export function budgetSubject(
  authContext: AdmitContext['call']['auth'],
  keys: KeyStore | undefined,
  attribution?: Attribution,
): BudgetSubject {
  const endUser = attribution?.endUser;
  const tags = attribution?.tags;
  const auth = authContext as Partial<KeyAuthContext> & AdmitContext['call']['auth'];
  const keyBudget =
    auth.overrides?.budget ?? (auth.keyId ? keys?.get(auth.keyId)?.budget : undefined);
  return {
    keyId: auth.keyId,
    tenant: auth.tenant,
    ...(keyBudget ? { keyBudget } : {}),
    ...(endUser !== undefined ? { endUser } : {}),
    ...(tags?.length ? { tags } : {}),
  };
}

/** The caller's key's rate limit: a key's own override, else the key store's. */
export function keyLimitOf(
  auth: Partial<KeyAuthContext> & AdmitContext['call']['auth'],
  keys: KeyStore | undefined,
) {
  return auth.overrides?.rateLimit ?? (auth.keyId ? keys?.get(auth.keyId)?.rateLimit : undefined);
}
