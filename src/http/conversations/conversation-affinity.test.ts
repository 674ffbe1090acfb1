// Session affinity for Responses turns on a conversation (Conversations API): the conversation's
// id is the turn's session id, so its later turns stay on the deployment that served the earlier
// ones (its prompt cache) as a previous_response_id chain's do; per tenant, as every session is.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';
import type { Router } from '../../routing/router-types.js';
import { createMemoryConversationObjectStore } from '../../store/memory/memory-conversation-object-store.js';
import { createResponseStore } from '../../store/response-store.js';

// A router whose fresh pick depends on the turn: "hard" needs big, anything else goes to small,
// though big would do (so adaptive affinity keeps big for a session that was on it).
const promptRouter: Router = {
  decide(input) {
    const hard = JSON.stringify(input.request.messages.at(-1)).includes('hard');
    const quality: Record<string, number> = { big: 0.9, mid: 0.85, small: hard ? 0.3 : 0.84 };
    const names = input.candidates.map((c) => c.name);
    const ordered = (hard ? ['big', 'mid', 'small'] : ['small', 'mid', 'big']).filter((n) =>
      names.includes(n),
    );
    return {
      mode: input.mode,
      version: 'test',
      band: 0.9,
      ordered,
      scores: names.map((n) => ({
        deployment: n,
        predictedQuality: quality[n] ?? 0,
        expectedOutputTokens: 10,
        predictedCostUsd: 0,
      })),
      reason: hard ? 'hard prompt' : 'easy prompt',
      topDeployment: 'big',
    };
  },
};

async function setup() {
  const step = { reply: 'ok' };
  const fleet = {
    big: fakeAdapter('big', [step, step, step]),
    mid: fakeAdapter('mid', [step, step, step]),
    small: fakeAdapter('small', [step, step, step]),
  };
  const conversations = createMemoryConversationObjectStore(100);
  const t = await buildTestApp(testConfig(), fleet, {
    router: promptRouter,
    authenticator: tenants,
    responses: createResponseStore(100),
    conversations,
  });
  const turn = (tenant: string, input: string, conversation?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: as(tenant),
      payload: { model: 'model-router', input, ...(conversation ? { conversation } : {}) },
    });
  return { ...t, conversations, turn };
}

describe('session affinity for a conversation', () => {
  it("keeps a conversation's turns on one deployment, for its own tenant only", async () => {
    const t = await setup();
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/conversations',
      headers: as('team-a'),
      payload: {},
    });
    const id = created.json().id as string;
    const first = await t.turn('team-a', 'a hard question', id);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['x-router-deployment']).toBe('big');
    // The fresh pick for an easy turn is small; the conversation stays on big.
    const second = await t.turn('team-a', 'an easy follow-up', id);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.headers['x-router-deployment']).toBe('big');
    const receipt = await t.app.inject({
      url: `/v1/router/decisions/${String(second.headers['x-router-decision-id'])}`,
      headers: as('team-a'),
    });
    expect(JSON.stringify(receipt.json())).toContain(`kept big for session ${id}`);
    // The same easy turn with no conversation gets the fresh pick.
    expect((await t.turn('team-a', 'an easy follow-up')).headers['x-router-deployment']).toBe(
      'small',
    );
    // Another tenant's conversation with the same id (planted: ids are random) shares nothing.
    await t.conversations.createConversationObject(
      { id, owner: 'team-b', createdAt: 1, metadata: {} },
      [],
    );
    const other = await t.turn('team-b', 'an easy follow-up', id);
    expect(other.statusCode, other.body).toBe(200);
    expect(other.headers['x-router-deployment']).toBe('small');
  });

  it('keeps a previous_response_id chain on one deployment, turn after turn', async () => {
    const t = await setup();
    const post = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/v1/responses', headers: as('team-a'), payload });
    const first = await post({ model: 'model-router', input: 'a hard question' });
    expect(first.headers['x-router-deployment']).toBe('big');
    let previous = first.json().id as string;
    // Each easy follow-up's fresh pick is small; the chain stays where it began, every turn.
    for (const n of [2, 3]) {
      const next = await post({
        model: 'model-router',
        input: `an easy follow-up ${n}`,
        previous_response_id: previous,
      });
      expect([n, next.headers['x-router-deployment']]).toEqual([n, 'big']);
      previous = next.json().id as string;
    }
  });
});
