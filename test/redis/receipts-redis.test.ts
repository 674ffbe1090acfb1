// A routing receipt is readable from any replica sharing Redis: the one asked, not holding it,
// asks the others over pub/sub (by decision id, or by the caller's request id). Two routers in
// one process on the real Redis.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';
import { redisStateInput, redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('receipts');

function replicaConfig() {
  const input = testConfigInput({
    state: redisStateInput(prefix),
    requestLog: { kind: 'none' },
  });
  return parseConfig(input, {}).config;
}

describe.skipIf(!suite.available)('receipts across replicas on Redis', () => {
  it('the other replica answers with the receipt; an unknown id is still a 404', async () => {
    const [one, two] = [await suite.runtime(replicaConfig()), await suite.runtime(replicaConfig())];
    const served = await one!.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'model-router', messages: [{ role: 'user', content: 'Prove 1+1=2.' }] },
    });
    expect(served.statusCode).toBe(200);
    const decision = String(served.headers['x-router-decision-id']);
    const requestId = String(served.headers['x-request-id']);
    const get = (r: Runtime, id: string) =>
      r.app.inject({ method: 'GET', url: `/v1/router/decisions/${id}` });
    const here = await get(one!, decision);
    expect(here.statusCode).toBe(200);
    for (const id of [decision, requestId]) {
      const there = await get(two!, id);
      expect(there.statusCode, `${id}: ${there.body}`).toBe(200);
      expect(there.json()).toEqual(here.json());
    }
    const unknown = await get(two!, 'dec_nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('decision_not_found');
  });
});
