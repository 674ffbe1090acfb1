// The request log under the running router (createRuntime with a SQLite log): stored responses
// outlive a restart, and real requests are all recorded, none lost on close.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createRuntime } from '../runtime.js';
import { testConfigInput } from '../../test/helpers/test-config.js';
import { createSqliteRequestStore } from './sql/sqlite-request-store.js';

describe('Responses conversations in the request-log store', () => {
  it('previous_response_id still works after a restart (SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-conv-'));
    const config = parseConfig(
      testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: join(dir, 'r.db') } }),
      {},
    ).config;
    const first = await createRuntime(config);
    const r1 = await first.app.inject({
      method: 'POST',
      url: '/v1/responses',
      payload: { model: 'model-router', input: 'first turn' },
    });
    expect(r1.statusCode).toBe(200);
    const id = r1.json().id as string;
    await first.close();
    const second = await createRuntime(config);
    try {
      const r2 = await second.app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: { model: 'model-router', input: 'second turn', previous_response_id: id },
      });
      expect(r2.statusCode).toBe(200);
      expect(r2.json().previous_response_id).toBe(id);
      expect(r2.json().usage.input_tokens).toBeGreaterThan(r1.json().usage.input_tokens);
    } finally {
      await second.close();
    }
  });
});

describe('request log through the running router', () => {
  it('records real requests in SQLite and loses none on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-log-e2e-'));
    const path = join(dir, 'requests.db');
    const config = parseConfig(
      testConfigInput({ requestLog: { kind: 'sqlite', sqlitePath: path, storeText: true } }),
      {},
    ).config;
    const runtime = await createRuntime(config);
    for (let i = 0; i < 25; i++) {
      const res = await runtime.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: {
          model: 'model-router',
          // Every fifth a conversation's second turn.
          messages:
            i % 5 === 0
              ? [
                  { role: 'user', content: `hi ${i}` },
                  { role: 'assistant', content: 'hi' },
                  { role: 'user', content: `hello ${i}` },
                ]
              : [{ role: 'user', content: `hello ${i}` }],
          stream: i % 2 === 0,
        },
      });
      expect(res.statusCode).toBe(200);
    }
    const ready = await runtime.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json().request_log.kind).toBe('sqlite');
    await runtime.close();
    const store = createSqliteRequestStore(path);
    const rows = await store.query(0);
    await store.close();
    expect(rows).toHaveLength(25);
    expect(
      rows.every(
        (r) => r.router === 'model-router' && r.servedModel === 'small-sim' && r.costUsd > 0,
      ),
    ).toBe(true);
    expect(
      rows.filter((r) => r.stream).every((r) => r.ttftMs !== undefined && r.completionTokens > 0),
    ).toBe(true);
    expect(rows[0]?.promptText).toContain('hello');
    // Whether each continued a conversation, which its one string of text cannot tell.
    expect(rows.map((r) => r.multiTurn)).toEqual(rows.map((_, i) => i % 5 === 0));
    // The simulated upstream reports usage, streamed or not: no figure is the router's.
    expect(rows.map((r) => r.usageEstimated)).toEqual(rows.map(() => false));
  });
});
