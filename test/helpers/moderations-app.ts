// The app the moderations tests (src/gateway/moderations-*.test.ts) call: the simulated test
// fleet plus moderation deployments `omni-moderation-latest` and `text-mod` (text only) and the
// embedding deployment `embed`, each simulated and recording the bodies it was sent. A key is
// `Bearer <scope>`: the one router or deployment it may use, or `Bearer any` for all.
import { parseConfig } from '../../src/config/load-config.js';
import type { ConfigHolder } from '../../src/config/runtime-config.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { unauthorized } from '../../src/core/errors.js';
import type { CircuitBreakerOptions } from '../../src/gateway/circuit-breaker.js';
import type { Authenticator } from '../../src/http/auth-hook.js';
import { createContentFilter } from '../../src/policy/content-filter.js';
import { createGovernancePolicies } from '../../src/policy/governance-policies.js';
import { createSimulatedAdapter } from '../../src/providers/simulated/simulated-adapter.js';
import type { ProviderAdapter } from '../../src/providers/types.js';
import { buildTestApp } from './build-test-app.js';
import { fakeAdapter } from './fake-adapter.js';
import { simEmbeddingDeployment, simModerationDeployment, testConfigInput } from './test-config.js';

// `Bearer <scope>` names the one router or deployment the key may use; `Bearer any` all.
const scopedAuth: Authenticator = {
  authenticate(headers) {
    const token = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!token) throw unauthorized('Incorrect API key provided.');
    return { keyId: token, tenant: 't', admin: false, scopes: [token === 'any' ? '*' : token] };
  },
};

const textOnly = {
  tools: false,
  vision: false,
  jsonSchema: false,
  reasoning: false,
  streaming: false,
};

/**
 * The app, its config input and `sent`: each non-chat deployment's request bodies. `overrides`
 * and `more` deployments change the config; `opts.breaker` sets the circuit breaker.
 */
export async function moderationsApp(
  overrides: Partial<ConfigInput> = {},
  more: ConfigInput['deployments'] = [],
  opts: { breaker?: CircuitBreakerOptions } = {},
) {
  const input = testConfigInput(overrides);
  input.deployments.push(
    simModerationDeployment('omni-moderation-latest'),
    simModerationDeployment('text-mod', {
      model: 'text-moderation-latest',
      capabilities: textOnly,
    }),
    simEmbeddingDeployment('embed'),
    ...more,
  );
  const config = parseConfig(input, {}).config;
  const adapters: Record<string, ProviderAdapter> = {
    big: fakeAdapter('big-sim', [{ reply: 'chat' }]),
    mid: fakeAdapter('mid-sim', [{ reply: 'chat' }]),
    small: fakeAdapter('small-sim', [{ reply: 'chat' }]),
  };
  const sent: Record<string, unknown[]> = {};
  for (const d of config.deployments.filter((d) => d.kind !== 'chat')) {
    const sim = createSimulatedAdapter(d);
    sent[d.name] = [];
    adapters[d.name] = {
      ...sim,
      moderate: (req) => (sent[d.name]!.push(req.body), sim.moderate!(req)),
    };
  }
  const holder = { current: { config } } as unknown as ConfigHolder;
  const policies = createGovernancePolicies({
    config: holder,
    contentFilter: () => createContentFilter(config.contentFilter),
  });
  const t = await buildTestApp(config, adapters, {
    authenticator: scopedAuth,
    policies,
    ...(opts.breaker ? { breaker: opts.breaker } : {}),
  });
  return { ...t, input, sent };
}

/** A request to inject: POST `payload` to `url` (/v1/moderations) with key `Bearer <key>`. */
export const moderationPost = (payload: unknown, url = '/v1/moderations', key = 'any') => ({
  method: 'POST' as const,
  url,
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  payload: payload as Record<string, unknown>,
});
