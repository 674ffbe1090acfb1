// WebSocket mode against scripted upstreams (on loopback: @fastify/websocket's injectWS sends a
// numeric Sec-WebSocket-Version, which ws 8.23 refuses): a stream that fails after
// its first event ends the turn with the stream's own error event and drops the connection's
// kept responses it touched; a warm-up names a model the caller may use.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildTestApp } from '../../../test/helpers/build-test-app.js';
import { fakeAdapter, type Step } from '../../../test/helpers/fake-adapter.js';
import { testConfig } from '../../../test/helpers/test-config.js';
import { createResponseStore } from '../../store/response-store.js';
import { createMemoryConversationStore } from '../../store/memory/memory-conversation-store.js';

type Event = Record<string, unknown> & { type: string };

async function setup(script: Step[]) {
  const t = await buildTestApp(
    testConfig(),
    {
      big: fakeAdapter('big', script),
      mid: fakeAdapter('mid', script),
      small: fakeAdapter('small', script),
    },
    { responses: createResponseStore(1_000, createMemoryConversationStore(1_000)) },
  );
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/responses`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const received: Event[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    received.push(JSON.parse(String(data)) as Event);
    wake?.();
  });
  /** The events up to the next terminal one (or error). */
  const turn = async (event?: Record<string, unknown>): Promise<Event[]> => {
    if (event) ws.send(JSON.stringify({ type: 'response.create', ...event }));
    const seen: Event[] = [];
    for (;;) {
      while (received.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const e = received.shift()!;
      seen.push(e);
      if (['response.completed', 'response.incomplete', 'error'].includes(e.type)) return seen;
    }
  };
  return { t, ws, turn };
}

describe('Responses WebSocket mode, scripted', () => {
  it('ends a stream that fails midway with its error event, and forgets what it touched', async () => {
    const { t, ws, turn } = await setup([
      { chunks: ['Four', '.'] },
      { chunks: ['Twelve', '.'], failAfter: 1 },
      { chunks: ['unused'] },
    ]);
    const first = await turn({ model: 'model-router', input: '2+2?', store: false });
    const one = first.at(-1)!.response as { id: string };
    expect(first.at(-1)!.type).toBe('response.completed');
    const failed = await turn({
      model: 'model-router',
      input: 'times 3?',
      previous_response_id: one.id,
      store: false,
    });
    const error = failed.at(-1)!;
    // The stream's own error event (as on SSE): the next sequence number, no HTTP status.
    expect(error).toMatchObject({ type: 'error', code: 'upstream_dropped' });
    expect(error.sequence_number).toBe(failed.length - 1);
    expect(error.status).toBeUndefined();
    expect(failed.map((e) => e.type)).toContain('response.output_text.delta');
    // The failed turn dropped the response it continued.
    const [gone] = await turn({
      model: 'model-router',
      input: 'times 3?',
      previous_response_id: one.id,
    });
    expect(gone).toMatchObject({
      type: 'error',
      status: 400,
      error: { code: 'previous_response_not_found' },
    });
    ws.terminate();
    await t.app.close();
  });

  it('warms up only for a model the caller may use, and calls no upstream', async () => {
    const { t, ws, turn } = await setup([{ reply: 'hello' }]);
    const [unknown] = await turn({ model: 'nope', input: 'hi', generate: false });
    expect(unknown).toMatchObject({
      type: 'error',
      status: 404,
      error: { code: 'model_not_found', param: 'model' },
    });
    const warm = await turn({ model: 'big', input: 'hi', generate: false });
    expect(warm.at(-1)).toMatchObject({
      type: 'response.completed',
      response: { status: 'completed', output: [], model: 'big' },
    });
    // completed_at (openapi.yaml `Response`): null until completed, then the unix second.
    expect(warm[0]).toMatchObject({ type: 'response.created', response: { completed_at: null } });
    const done = warm.at(-1)!.response as { created_at: number; completed_at: unknown };
    expect(Number.isInteger(done.completed_at)).toBe(true);
    expect(done.completed_at as number).toBeGreaterThanOrEqual(done.created_at);
    expect(t.records).toHaveLength(0);
    ws.terminate();
    await t.app.close();
  });

  it('prompt_cache_options.prewarm overrides generate: a warm-up, with no upstream call', async () => {
    const { t, ws, turn } = await setup([{ reply: 'hello' }]);
    const warm = await turn({
      model: 'big',
      input: 'hi',
      generate: true,
      prompt_cache_options: { prewarm: true, ttl: '12h' },
    });
    expect(warm.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.completed',
    ]);
    expect(warm.at(-1)).toMatchObject({
      response: { status: 'completed', output: [], prompt_cache_options: { ttl: '12h' } },
    });
    expect(t.records).toHaveLength(0);
    ws.terminate();
    await t.app.close();
  });

  it('refuses a message nested deeper than any real request as the HTTP API does, and goes on', async () => {
    const { t, ws, turn } = await setup([{ reply: 'hello' }]);
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    ws.send(`{"type": "response.create", "model": "big", "input": "hi", "metadata": ${deep}}`);
    const [refused] = await turn();
    expect(refused).toMatchObject({
      type: 'error',
      status: 400,
      error: {
        code: 'invalid_json',
        message:
          'The message nests arrays and objects more than 256 levels deep: send a flatter one.',
      },
    });
    const next = await turn({ model: 'big', input: 'hi' });
    expect(next.at(-1)!.type).toBe('response.completed');
    ws.terminate();
    await t.app.close();
  });
});
