// OpenRouter's usage accounting (`usage: {include: true}`) on an answer-cache hit: `usage.cost`
// is there, 0 for an exact hit, JSON and streamed, as a fresh answer has its cost (observability
// audit F7, 2026-12-06: a hit had no `cost`, and a client summing it got NaN).
import { describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers/test-config.js';
import { createRuntime } from '../runtime.js';

/** The usage of a streamed answer's SSE body (its usage chunk's), if it has one. */
const usageOf = (payload: string) =>
  payload
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => JSON.parse(l.slice(6)) as { usage?: { cost?: number } })
    .find((c) => c.usage)?.usage;

describe('usage.cost on a cache hit', () => {
  it('is 0 on an exact hit, JSON and streamed; a miss has its cost', async () => {
    const rt = await createRuntime(testConfig({ cache: { enabled: true, ttlSeconds: 60 } }));
    try {
      const ask = (stream: boolean) =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: {
            model: 'big',
            usage: { include: true },
            ...(stream ? { stream, stream_options: { include_usage: true } } : {}),
            messages: [{ role: 'user', content: 'cache this answer' }],
          },
        });
      const miss = await ask(false);
      expect(miss.headers['x-router-cache']).toBe('miss');
      expect(miss.json().usage.cost).toBeGreaterThan(0);
      const hit = await ask(false);
      expect(hit.headers['x-router-cache']).toBe('hit');
      expect(hit.json().usage).toMatchObject({ cost: 0 });
      const streamed = await ask(true);
      expect(streamed.headers['x-router-cache']).toBe('hit');
      const usage = usageOf(streamed.payload);
      expect(usage).toMatchObject({ cost: 0 });
    } finally {
      await rt.close();
    }
  });

  it('a streamed hit sends the usage chunk that usage: {include: true} asks for, as a fresh stream does', async () => {
    const rt = await createRuntime(testConfig({ cache: { enabled: true, ttlSeconds: 60 } }));
    try {
      // No stream_options.include_usage: OpenRouter's usage accounting alone asks for the usage.
      const ask = () =>
        rt.app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: {
            model: 'big',
            usage: { include: true },
            stream: true,
            messages: [{ role: 'user', content: 'cache this streamed answer' }],
          },
        });
      const miss = await ask();
      expect(miss.headers['x-router-cache']).toBe('miss');
      expect(usageOf(miss.payload)?.cost).toBeGreaterThan(0);
      const hit = await ask();
      expect(hit.headers['x-router-cache']).toBe('hit');
      expect(usageOf(hit.payload)).toMatchObject({ cost: 0 });
    } finally {
      await rt.close();
    }
  });
});
