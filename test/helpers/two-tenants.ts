// Two tenants for tenancy tests: `Bearer team-a` and `Bearer team-b` are keys `k-team-a` /
// `k-team-b` of tenants `team-a` / `team-b` (every scope); any other caller is a 401.
import { unauthorized } from '../../src/core/errors.js';
import type { Authenticator } from '../../src/http/auth-hook.js';

export const tenants: Authenticator = {
  authenticate(headers) {
    const who = /^Bearer (team-[ab])$/.exec(String(headers.authorization))?.[1];
    if (!who) throw unauthorized();
    return { keyId: `k-${who}`, tenant: who, admin: false, scopes: ['*'] };
  },
};

/** The headers of a request as `tenant` (`team-a` or `team-b`). */
export const as = (tenant: string) => ({ authorization: `Bearer ${tenant}` });
