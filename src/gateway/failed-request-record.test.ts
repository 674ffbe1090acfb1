// The record of a request that did not succeed (observability audit, 2026-12-06). Refused before
// any upstream was called, it used no tokens (F6): 0 and nothing estimated, so a 429 storm neither
// adds to the usage summary's tokens nor trips an alert on usageEstimated meant for a deployment
// that stopped reporting usage. Failed at a deployment, it names that deployment (F2).
import { describe, expect, it } from 'vitest';
import { simDeployment, testConfig, testConfigInput } from '../../test/helpers/test-config.js';
import { hashApiKey } from '../auth/api-key.js';
import { createRuntime } from '../runtime.js';
import type { RequestRecord } from '../store/request-record.js';

const KEY = 'mr-refused-usage-0123456789abcdef';

describe('the record of a refused request', () => {
  it('has no tokens and nothing estimated; a served one has its usage', async () => {
    const records: RequestRecord[] = [];
    const rt = await createRuntime(
      testConfig({
        auth: {
          mode: 'keys',
          keys: [{ id: 'k', hash: hashApiKey(KEY), tenant: 'acme', rateLimit: { rpm: 1 } }],
        },
      }),
      { recorder: { record: (r) => void records.push(r) } },
    );
    try {
      const ask = () =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${KEY}` },
          payload: {
            model: 'big',
            messages: [{ role: 'user', content: 'a prompt of some words' }],
          },
        });
      expect((await ask()).statusCode).toBe(200);
      expect((await ask()).statusCode).toBe(429);
      await expect.poll(() => records.length).toBe(2);
      const [served, refused] = records;
      expect(served!.promptTokens).toBeGreaterThan(0);
      expect(refused).toMatchObject({
        status: 429,
        promptTokens: 0,
        cachedTokens: 0,
        usageEstimated: false,
        costUsd: 0,
      });
    } finally {
      await rt.close();
    }
  });

  it('names the deployment that failed, called directly or the last a router tried', async () => {
    const records: RequestRecord[] = [];
    const input = testConfigInput();
    const broken = simDeployment('broken', { simulation: { failure: { kind: '500', rate: 1 } } });
    const rt = await createRuntime(
      testConfig({
        deployments: [...input.deployments, broken],
        pools: [{ name: 'all-broken', deployments: ['broken'], strategy: 'priority' }],
      }),
      { recorder: { record: (r) => void records.push(r) } },
    );
    try {
      for (const model of ['broken', 'all-broken'])
        expect(
          (
            await rt.app.inject({
              method: 'POST',
              url: '/v1/chat/completions',
              payload: { model, messages: [{ role: 'user', content: 'hi' }] },
            })
          ).statusCode,
        ).toBeGreaterThanOrEqual(500);
      await expect.poll(() => records.length).toBe(2);
      expect(records.map((r) => [r.deployment, r.servedModel ?? null])).toEqual([
        ['broken', null],
        ['broken', null],
      ]);
    } finally {
      await rt.close();
    }
  });
});
