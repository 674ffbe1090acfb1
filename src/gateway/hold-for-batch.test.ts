// A batch line with custom tools is held for a Batch API only where the upstream takes them:
// elsewhere its function-call answer could not be named back as the custom call, so it runs live.
import { describe, expect, it } from 'vitest';
import { claudeDeployment } from '../../test/helpers/test-config.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { RequestRecord } from '../store/request-record.js';
import type { BatchForwardOffer, ChatCall } from './gateway-types.js';
import { holdForBatch } from './hold-for-batch.js';
import type { RoutePlan } from './plan-route.js';

const offer: BatchForwardOffer = { accepts: () => true, hold: () => {} };
const line = (tools: ChatRequest['tools']) =>
  ({ request: { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools } }) as ChatCall;
const plan = (d = claudeDeployment()) => ({ ordered: [d], mode: undefined }) as RoutePlan;

describe('holding a batch line with custom tools', () => {
  it('not for an upstream that would need them bridged; function tools are held as before', () => {
    const custom = line([{ type: 'custom', custom: { name: 'apply_patch' } }]);
    const fn = line([{ type: 'function', function: { name: 'f', parameters: {} } }]);
    expect(holdForBatch(offer, plan(), custom, 5, {} as RequestRecord)).toBeUndefined();
    expect(holdForBatch(offer, plan(), fn, 5, {} as RequestRecord)?.deployment.name).toBe('claude');
  });
});
