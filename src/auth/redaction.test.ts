import { describe, expect, it } from 'vitest';
import { REDACTED, redactConfigSecrets } from './redaction.js';

describe('redactConfigSecrets', () => {
  it('hides the values of a headers map but shows a setting named headers that is no map', () => {
    const shown = redactConfigSecrets({
      deployments: [{ name: 'a', headers: { authorization: 'Bearer sk-1', 'x-team': 'blue' } }],
      rateLimits: { headers: 'tenant', queue: { maxWaitMs: 0 } },
    });
    expect(shown.deployments[0]!.headers).toEqual({ authorization: REDACTED, 'x-team': REDACTED });
    // rateLimits.headers is an enum (tenant | shared), not a header map: nothing secret in it.
    expect(shown.rateLimits.headers).toBe('tenant');
  });

  it('reads a config version diff the same way', () => {
    const shown = redactConfigSecrets([
      { path: 'rateLimits.headers', before: 'tenant', after: 'shared' },
      { path: 'deployments[a].headers.x-token', before: 'old', after: 'new' },
      { path: 'deployments[a].headers', after: { 'x-token': 'new' } },
    ]);
    expect(shown).toEqual([
      { path: 'rateLimits.headers', before: 'tenant', after: 'shared' },
      { path: 'deployments[a].headers.x-token', before: REDACTED, after: REDACTED },
      { path: 'deployments[a].headers', after: { 'x-token': REDACTED } },
    ]);
  });
});
