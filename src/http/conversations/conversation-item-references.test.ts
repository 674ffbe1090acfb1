// `item_reference` input items naming a conversation's items, in a Responses request naming that
// conversation: an item added only with the Conversations API (in no stored response) resolves to
// what the conversation keeps; an unknown id, or one of another conversation, is still a 400.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { as, tenants } from '../../../test/helpers/two-tenants.js';
import { createResponseStore } from '../../store/response-store.js';

type Json = Record<string, unknown>;

async function setup() {
  const small = fakeAdapter('small', [{ reply: 'four' }, { reply: 'four' }]);
  const t = await buildTestApp(
    testConfig(),
    { small, mid: fakeAdapter('mid', []), big: fakeAdapter('big', []) },
    { authenticator: tenants, responses: createResponseStore(100) },
  );
  const call = (url: string, payload: Json, tenant = 'team-a') =>
    t.app.inject({ method: 'POST', url, headers: as(tenant), payload });
  return { ...t, small, call };
}

describe('item references to a conversation', () => {
  it("resolves a conversation's own item for its tenant; an unknown id stays a 400", async () => {
    const t = await setup();
    const created = await t.call('/v1/conversations', {});
    const id = created.json().id as string;
    const added = await t.call(`/v1/conversations/${id}/items`, {
      items: [
        { type: 'message', role: 'user', content: 'What is 2+2? Answer in words.' },
        { type: 'message', role: 'user', content: 'Never mind.' },
      ],
    });
    expect(added.statusCode, added.body).toBe(200);
    const itemId = added.json().data[0].id as string;
    // Not a stored response's item: without the conversation it is not found.
    const alone = await t.call('/v1/responses', {
      model: 'small',
      input: [{ type: 'item_reference', id: itemId }],
    });
    expect(alone.statusCode, alone.body).toBe(400);
    expect(alone.json().error).toMatchObject({ param: 'input[0].id', code: 'item_not_found' });

    const res = await t.call('/v1/responses', {
      model: 'small',
      conversation: id,
      input: [{ type: 'item_reference', id: itemId }],
    });
    expect(res.statusCode, res.body).toBe(200);
    // The upstream got the item's content as this turn's input, after the conversation's
    // context (which ends with the later item).
    const said = t.small.calls.at(-1)!.body.messages.map((m) => JSON.stringify(m.content));
    expect(said).toHaveLength(3);
    expect(said[1]).toContain('Never mind.');
    expect(said[2]).toContain('What is 2+2? Answer in words.');
    expect(t.small.calls.at(-1)!.body.messages.at(-1)).toMatchObject({ role: 'user' });
    // The conversation holds that item already: the turn appends its answer, not the item again
    // (it was appended under a new id, so the conversation and every later turn held it twice).
    const items = await t.app.inject({
      method: 'GET',
      url: `/v1/conversations/${id}/items?order=asc`,
      headers: as('team-a'),
    });
    const kept = (items.json().data as Json[]).map((it) => `${String(it.type)}:${String(it.role)}`);
    expect(kept).toEqual(['message:user', 'message:user', 'message:assistant']);
    expect((items.json().data as Json[]).filter((it) => it.id === itemId)).toHaveLength(1);

    const unknown = await t.call('/v1/responses', {
      model: 'small',
      conversation: id,
      input: [{ type: 'item_reference', id: 'msg_nothing' }],
    });
    expect(unknown.statusCode, unknown.body).toBe(400);
    expect(unknown.json().error).toMatchObject({ param: 'input[0].id', code: 'item_not_found' });
    // Another tenant naming its own conversation cannot reach team-a's item.
    const theirs = (await t.call('/v1/conversations', {}, 'team-b')).json().id as string;
    const foreign = await t.call(
      '/v1/responses',
      { model: 'small', conversation: theirs, input: [{ type: 'item_reference', id: itemId }] },
      'team-b',
    );
    expect(foreign.statusCode, foreign.body).toBe(400);
    expect(foreign.json().error.code).toBe('item_not_found');
  });
});
