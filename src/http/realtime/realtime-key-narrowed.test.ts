// A realtime session whose key a config reload narrows (its scopes no longer name the model) ends
// at its next client event, as a revoked key's does, and the event never goes upstream; a key the
// reload leaves alone keeps its session. Before 2026-12-07 the key was only checked for validity,
// so the narrowed key used the model for the rest of its session (tenancy audit, h4). Through
// createRuntime watching a real config file, on loopback.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { hashApiKey } from '../../auth/api-key.js';
import type { ConfigInput } from '../../config/schema.js';
import { parseConfig } from '../../config/load-config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { simDeployment, testConfigInput } from '../../../test/helpers/test-config.js';
import { waitFor } from '../../../test/helpers/wait-for.js';

const NARROWED = 'mr-rt-narrowed-0123456789abcdef';
const KEPT = 'mr-rt-kept-0123456789abcdef';

/** The config with the `narrowed` key scoped to `scopes`. */
function configWith(scopes: string[]): ConfigInput {
  const input = testConfigInput();
  return {
    ...input,
    deployments: [
      ...input.deployments,
      simDeployment('rt-sim', { kind: 'realtime', maxOutputTokens: undefined }),
    ],
    auth: {
      mode: 'keys',
      keys: [
        { id: 'narrowed', hash: hashApiKey(NARROWED), tenant: 'acme', scopes },
        { id: 'kept', hash: hashApiKey(KEPT), tenant: 'acme', scopes: ['rt-sim'] },
      ],
    },
  };
}

const file = join(mkdtempSync(join(tmpdir(), 'mr-h4-rt-')), 'config.json');
let rt: Runtime;
let base: string;
beforeAll(async () => {
  const input = configWith(['rt-sim']);
  writeFileSync(file, JSON.stringify(input));
  rt = await createRuntime(parseConfig(input, {}).config, { configPath: file });
  // A port of this helper's range (h4: 47175-47199).
  base = await rt.app.listen({ host: '127.0.0.1', port: 47192 });
});
afterAll(async () => {
  await rt?.close();
});

/** A session as `key`: its events as they come, and its close code once closed. */
async function session(key: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/realtime?model=rt-sim`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const events: Record<string, unknown>[] = [];
  ws.on('message', (data) => events.push(JSON.parse(String(data)) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  await waitFor(() => expect(events.map((e) => e.type)).toContain('session.created'));
  return { ws, events, closed };
}

const item = JSON.stringify({
  type: 'conversation.item.create',
  item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
});

describe('a realtime session whose key is narrowed by a reload', () => {
  it('ends at its next event; a session of a key left alone goes on', async () => {
    const narrowed = await session(NARROWED);
    const kept = await session(KEPT);
    writeFileSync(file, JSON.stringify(configWith(['big'])));
    // Reloaded once the key's model list no longer holds the realtime model.
    await waitFor(
      async () => {
        const res = await rt.app.inject({
          method: 'GET',
          url: '/v1/models',
          headers: { authorization: `Bearer ${NARROWED}` },
        });
        expect((res.json() as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['big']);
      },
      { timeout: 10_000, interval: 50 },
    );
    narrowed.ws.send(item);
    expect(await narrowed.closed).toBe(1008);
    expect(narrowed.events.at(-1)).toMatchObject({
      type: 'error',
      error: { type: 'permission_error', code: 'permission_denied' },
    });
    expect(String((narrowed.events.at(-1)!.error as { message: string }).message)).toContain(
      'may no longer use "rt-sim"',
    );
    expect(narrowed.events.map((e) => e.type)).not.toContain('conversation.item.added');

    kept.ws.send(item);
    await waitFor(() =>
      expect(kept.events.map((e) => e.type)).toContain('conversation.item.added'),
    );
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    kept.ws.close();
  });
});
