// The two Responses requests that answer before routing refuse a model the key may not use as a
// routed turn does: a WebSocket warm-up (`generate: false`) and a background response's creation.
// Before 2026-12-07 a key whose modelSubset held only `small` warmed up `big` (and `emb`, no chat
// model) and was answered `queued` for `big`, the run failing a moment later (tenancy audit, h4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { unauthorized } from '../../core/errors.js';
import type { Authenticator } from '../auth-hook.js';
import { buildTestApp, type TestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../../test/helpers/fake-adapter.js';
import {
  simEmbeddingDeployment,
  testConfig,
  testConfigInput,
} from '../../../test/helpers/test-config.js';
import { createResponseStore } from '../../store/response-store.js';
import { createMemoryConversationStore } from '../../store/memory/memory-conversation-store.js';

// `Bearer subset`: every scope, modelSubset [small]; `Bearer scoped`: only the router.
const keys: Authenticator = {
  authenticate(headers) {
    if (headers.authorization === 'Bearer subset')
      return { keyId: 'subset', tenant: 't', admin: false, scopes: ['*'], modelSubset: ['small'] };
    if (headers.authorization === 'Bearer scoped')
      return { keyId: 'scoped', tenant: 't', admin: false, scopes: ['model-router'] };
    throw unauthorized();
  },
};

let t: TestApp;
let url: string;
beforeAll(async () => {
  const base = testConfigInput();
  t = await buildTestApp(
    testConfig({ deployments: [...base.deployments, simEmbeddingDeployment('emb')] }),
    {
      big: fakeAdapter('big', [{ reply: 'big' }]),
      mid: fakeAdapter('mid', [{ reply: 'mid' }]),
      small: fakeAdapter('small', [{ reply: 'small' }]),
    },
    {
      authenticator: keys,
      responses: createResponseStore(1_000, createMemoryConversationStore(1_000)),
    },
  );
  // A port of this helper's range (h4: 47175-47199).
  url = await t.app.listen({ host: '127.0.0.1', port: 47191 });
});
afterAll(async () => {
  await t.background?.stop(0);
  await t.app.close();
});

/** Each warm-up's terminal event (completed or error) on one connection as `key`. */
async function warmUps(key: string, models: string[]): Promise<Record<string, unknown>[]> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/responses`, {
    headers: { authorization: `Bearer ${key}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const ends: Record<string, unknown>[] = [];
  for (const model of models) {
    ws.send(JSON.stringify({ type: 'response.create', model, input: 'hi', generate: false }));
    ends.push(
      await new Promise((resolve) => {
        const onMessage = (data: unknown) => {
          const e = JSON.parse(String(data)) as Record<string, unknown>;
          if (e.type !== 'response.completed' && e.type !== 'error') return;
          ws.off('message', onMessage);
          resolve(e);
        };
        ws.on('message', onMessage);
      }),
    );
  }
  ws.terminate();
  return ends;
}

describe('a model the key may not use, before routing', () => {
  it('is refused on a WebSocket warm-up as on a turn that generates', async () => {
    const [big, emb, router] = await warmUps('subset', ['big', 'emb', 'model-router']);
    expect(big).toMatchObject({
      type: 'error',
      status: 403,
      error: { type: 'permission_error', code: 'permission_denied' },
    });
    expect((big!.error as { message: string }).message).toContain("the key's modelSubset");
    expect(emb).toMatchObject({ type: 'error', status: 400, error: { code: 'model_not_chat' } });
    expect(router).toMatchObject({ type: 'response.completed' });
    const [mid, own] = await warmUps('scoped', ['mid', 'model-router']);
    expect(mid).toMatchObject({ type: 'error', status: 403, error: { code: 'permission_denied' } });
    expect(own).toMatchObject({ type: 'response.completed' });
    expect(t.records).toHaveLength(0);
  });

  it('is refused when a background response is created, not answered queued', async () => {
    const create = (key: string, model: string, stream = false) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/responses',
        headers: { authorization: `Bearer ${key}` },
        payload: { model, input: 'hi', background: true, ...(stream ? { stream } : {}) },
      });
    for (const [key, model] of [
      ['subset', 'big'],
      ['scoped', 'small'],
    ] as const) {
      for (const stream of [false, true]) {
        const res = await create(key, model, stream);
        expect(res.statusCode, `${key} ${model} ${stream}: ${res.body}`).toBe(403);
        expect(res.json().error).toMatchObject({
          type: 'permission_error',
          code: 'permission_denied',
        });
      }
    }
    const ok = await create('subset', 'model-router');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'queued', background: true });
  });
});
