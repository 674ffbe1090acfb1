// A tag's rate limit held across replicas: two runtimes on the real Redis share the tag's bucket,
// so what one admits the other counts, and both refuse once it is used up.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { createManualClock } from '../../src/core/clock.js';
import type { Runtime } from '../../src/runtime.js';
import { testConfigInput } from '../helpers/test-config.js';
import { REDIS_URL, redisStateInput, redisSuite } from './redis-helpers.js';

const suite = await redisSuite();
const prefix = suite.prefix('tag-limit');

describe.skipIf(!suite.available)('tag rate limits on Redis', () => {
  it('two replicas share a tag bucket: what one admits the other counts', async () => {
    const config = parseConfig(
      testConfigInput({
        state: redisStateInput(prefix),
        rateLimits: { tags: { 'team/eval:nightly': { rpm: 3 } } },
      }),
      {},
    ).config;
    // One clock for both replicas, standing still: the bucket refills only if a test says so.
    const clock = createManualClock();
    const [one, two] = [
      await suite.runtime(config, { clock }),
      await suite.runtime(config, { clock }),
    ];
    const send = (rt: Runtime, tags: string) =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { model: 'model-router', messages: [{ role: 'user', content: 'hello' }] },
        headers: { 'x-router-tags': tags },
      });
    const tag = 'team/eval:nightly';
    expect((await send(one!, tag)).statusCode).toBe(200);
    expect((await send(one!, tag)).statusCode).toBe(200);
    const third = await send(two!, tag);
    expect(third.statusCode).toBe(200);
    // The second replica saw the first's two requests.
    expect(third.headers['x-ratelimit-remaining-requests']).toBe('0');
    for (const rt of [one!, two!]) {
      const refused = await send(rt, `other,${tag}`);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().error.message).toContain(
        'Rate limit reached for tag team/eval:nightly (tenant default) on requests per min (RPM): Limit 3, Used 3',
      );
      expect(refused.headers['retry-after']).toBe('20');
    }
    expect((await send(two!, 'other')).statusCode).toBe(200);
    // The bucket lives in Redis under the encoded tenant and tag.
    const client = new Redis(REDIS_URL);
    try {
      expect(await client.exists(`${prefix}rl:tag:default/team%2Feval%3Anightly:rpm`)).toBe(1);
    } finally {
      client.disconnect();
    }
    // A third of the window later one request is free again, on either replica.
    clock.advance(20_000);
    expect((await send(two!, tag)).statusCode).toBe(200);
    expect((await send(one!, tag)).statusCode).toBe(429);
  });
});
