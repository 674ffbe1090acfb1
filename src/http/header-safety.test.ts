// Warnings that quote the client's own text go out in `x-router-warnings` header-safe, over a
// real socket (Node checks header characters only when it writes them). Before (input audit F3,
// 2026-12-06): a plugin id with a CJK character was a 500 in Fastify's shape after the upstream
// had answered, and the same request streamed never started and never ended.
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.js';
import { fakeAdapter } from '../../test/helpers/fake-adapter.js';
import { simDeployment, testConfig } from '../../test/helpers/test-config.js';
import { createResponseStore } from '../store/response-store.js';

const apps: { app: { close(): Promise<unknown> } }[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) await t.app.close();
});

async function listening() {
  const config = testConfig({ deployments: [simDeployment('small')], routers: [] });
  const adapter = fakeAdapter('small', [
    { reply: 'Hello.' },
    { chunks: ['Hel', 'lo.'] },
    { reply: 'Hello again.' },
  ]);
  const t = await buildTestApp(config, { small: adapter }, { responses: createResponseStore() });
  apps.push(t);
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const post = (path: string, body: Record<string, unknown>) =>
    fetch(`${address}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  return { adapter, post };
}

const hello = { model: 'small', messages: [{ role: 'user', content: 'Say hello.' }] };

describe('x-router-warnings quoting client text', () => {
  it('a JSON answer, a streamed one and a Responses answer all arrive, the warning in ASCII', async () => {
    const { post } = await listening();
    const json = await post('/v1/chat/completions', { ...hello, transforms: ['压缩\nX-Evil: 1'] });
    expect(json.status).toBe(200);
    expect(json.headers.get('x-router-warnings')).toMatch(
      /^transforms: "\?\?\?X-Evil: 1" not applied/,
    );
    expect(json.headers.get('x-evil')).toBeNull();
    expect(((await json.json()) as { object: string }).object).toBe('chat.completion');

    const stream = await post('/v1/chat/completions', {
      ...hello,
      stream: true,
      plugins: [{ id: '中文' }],
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-router-warnings')).toContain('??');
    const text = await stream.text();
    expect(text).toContain('"Hel"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);

    // A client string of 20 KB: the header is cut to 4 KB (fetch clients refuse past ~16 KB).
    const responses = await post('/v1/responses', {
      model: 'small',
      input: 'Say hello.',
      tools: [{ type: `t${'y'.repeat(20_000)}` }],
    });
    expect(responses.status).toBe(200);
    expect(responses.headers.get('x-router-warnings')!.length).toBeLessThanOrEqual(4096);
    expect(((await responses.json()) as { status: string }).status).toBe('completed');
  });
});
