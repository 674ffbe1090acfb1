// Stored responses belong to the tenant that created them, and a store that fails does not cost
// the client its answer.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createSqliteRequestStore } from '../../store/sql/sqlite-request-store.js';
import { createResponseStore, type ConversationStore } from '../../store/response-store.js';
import { createMemoryConversationStore } from '../../store/memory/memory-conversation-store.js';
import { tenants } from '../../../test/helpers/two-tenants.js';

async function setup(backing: ConversationStore) {
  const reply = [{ reply: 'four' }];
  return buildTestApp(
    testConfig(),
    {
      big: fakeAdapter('big', reply),
      mid: fakeAdapter('mid', reply),
      small: fakeAdapter('small', reply),
    },
    { authenticator: tenants, responses: createResponseStore(10_000, backing) },
  );
}

describe('stored responses', () => {
  it("another tenant can neither read, delete nor continue a tenant's response", async () => {
    const t = await setup(
      createSqliteRequestStore(join(mkdtempSync(join(tmpdir(), 'mr-resp-')), 'r.db')),
    );
    const as = (tenant: string) => ({ authorization: `Bearer ${tenant}` });
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: as('team-a'),
      payload: { model: 'model-router', input: 'What is 2+2?' },
    });
    expect(created.statusCode).toBe(200);
    const id = created.json().id as string;
    const mine = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${id}`,
      headers: as('team-a'),
    });
    expect(mine.json()).toEqual(created.json());
    for (const method of ['GET', 'DELETE'] as const) {
      const theirs = await t.app.inject({
        method,
        url: `/v1/responses/${id}`,
        headers: as('team-b'),
      });
      expect(theirs.statusCode, method).toBe(404);
      expect(theirs.json().error).toMatchObject({ code: 'response_not_found' });
    }
    const continued = await t.app.inject({
      method: 'POST',
      url: '/v1/responses',
      headers: as('team-b'),
      payload: { model: 'model-router', input: 'And times 3?', previous_response_id: id },
    });
    expect(continued.statusCode).toBe(400);
    expect(continued.json().error.code).toBe('previous_response_not_found');
    // Still there for its owner.
    const again = await t.app.inject({
      method: 'GET',
      url: `/v1/responses/${id}`,
      headers: as('team-a'),
    });
    expect(again.statusCode).toBe(200);
    // Its owner deletes it as the openai Python client does: a JSON content-type and no body.
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/responses/${id}`,
      headers: { ...as('team-a'), 'content-type': 'application/json' },
    });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ id, deleted: true });
  });

  it('a store that fails is logged and the client still gets its answer', async () => {
    const broken: ConversationStore = {
      ...createMemoryConversationStore(10),
      saveConversation: async () => {
        throw new Error('database is down');
      },
      getConversation: async () => undefined,
      deleteConversation: async () => false,
    };
    const t = await setup(broken);
    const headers = { authorization: 'Bearer team-a' };
    for (const stream of [false, true]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        headers,
        payload: { model: 'model-router', input: 'What is 2+2?', stream },
      });
      expect(res.statusCode, `stream ${stream}`).toBe(200);
      expect(res.body, `stream ${stream}`).toContain('four');
      if (stream) expect(res.body).toContain('response.completed');
    }
  });
});
