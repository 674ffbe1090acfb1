// Replicas on one Redis share the semantic cache's index and session affinity: two (then three)
// in-process routers, each with its own Redis connections, as a load balancer would spread a
// conversation over them. A paraphrase answered on one replica is a semantic hit on another, but
// never across tenants; a replica that starts late loads the entries already kept; a session's
// deployment remembered on one replica is followed on another. A Redis that goes away fails no
// request, and the replicas learn from each other again once it is back.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-key.js';
import { parseConfig } from '../../src/config/load-config.js';
import { decodeEntry } from '../../src/gateway/shared-semantic-index.js';
import type { Runtime } from '../../src/runtime.js';
import { simEmbeddingDeployment, testConfigInput } from '../helpers/test-config.js';
import {
  freePort,
  REDIS_URL,
  redisServerUsable,
  redisStateInput,
  redisSuite,
  startRedisServer,
  type OwnRedis,
} from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

/** Prefixes and replicas (and the outage test's own redis-server), cleaned up. */
const suite = await redisSuite();

// Long enough that the simulated embeddings put a one-word change above 0.95 (0.9764; see
// src/gateway/semantic-cache.test.ts).
const TRIP =
  'I am planning a two week trip to Portugal in the spring with my partner and we enjoy hiking good food and small towns away from the crowds so please suggest an itinerary that balances Lisbon Porto and the Douro valley with a few quiet days near the coast';
const PARAPHRASE = TRIP.replace('suggest', 'propose');
const ACME = 'mr-test-acme-key';
const GLOBEX = 'mr-test-globex-key';
const OPS = 'mr-test-ops-key';

function replicaConfig(prefix: string, redisUrl = REDIS_URL) {
  const input = testConfigInput({
    cache: { enabled: true, ttlSeconds: 600, semantic: { enabled: true, embeddings: 'embed' } },
    state: redisStateInput(prefix, redisUrl),
    auth: {
      mode: 'keys',
      keys: [
        { id: 'acme', hash: hashApiKey(ACME), tenant: 'acme' },
        { id: 'globex', hash: hashApiKey(GLOBEX), tenant: 'globex' },
        { id: 'ops', hash: hashApiKey(OPS), tenant: 'ops', admin: true },
      ],
    },
  });
  input.deployments.push(simEmbeddingDeployment('embed'));
  return parseConfig(input, {}).config;
}

const ask = (rt: Runtime, content: string, key = ACME, headers: Record<string, string> = {}) =>
  rt.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}`, ...headers },
    payload: { model: 'model-router', messages: [{ role: 'user', content }] },
  });

describe.skipIf(!suite.available)('semantic index and session affinity shared on Redis', () => {
  const prefix = suite.prefix('shared-index');
  /** A replica on `prefix`, kept until the file's end (a later test starts warm from it). */
  const replica = () => suite.runtime(replicaConfig(prefix), undefined, 'file');

  it('a paraphrase answered on A is a semantic hit on B, for the same tenant only; a late replica starts warm', async () => {
    const [a, b] = [await replica(), await replica()];
    const first = await ask(a, TRIP);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-router-cache']).toBe('miss');
    // B learns A's vector from the stream: wait for it, then ask B the paraphrase.
    await waitFor(() => expect(b.gateway.semanticEntries()).toBe(1));
    const second = await ask(b, PARAPHRASE);
    expect(second.headers['x-router-cache']).toBe('semantic');
    expect(Number(second.headers['x-router-cache-similarity'])).toBeGreaterThan(0.95);
    expect(second.json().choices[0].message.content).toBe(first.json().choices[0].message.content);

    // Another tenant asking the same on B is not served A's tenant's answer.
    const other = await ask(b, PARAPHRASE, GLOBEX);
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-router-cache']).toBe('miss');
    await waitFor(() => expect(a.gateway.semanticEntries()).toBe(2));

    // In Redis: one capped stream, each entry scoped (partition, answer key), its vector as raw
    // float32 (1,536 × 4 bytes), the stream living no longer than the answers' TTL.
    const client = new Redis(REDIS_URL);
    try {
      const key = `${prefix}semantic:index`;
      const entries = await client.xrangeBuffer(key, '-', '+');
      expect(entries).toHaveLength(2);
      const decoded = entries.map(([, flat]) => {
        const fields = new Map<string, Buffer>();
        for (let i = 0; i < flat.length; i += 2) fields.set(flat[i]!.toString(), flat[i + 1]!);
        expect(fields.get('v')!.length).toBe(1536 * 4);
        return decodeEntry(fields)!;
      });
      // Two tenants: two partitions.
      expect(new Set(decoded.map((e) => e.partition)).size).toBe(2);
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600_000);
    } finally {
      client.disconnect();
    }

    // A replica started now loads both entries before it serves, and answers the paraphrase from A.
    const c = await replica();
    await waitFor(() => expect(c.gateway.semanticEntries()).toBe(2));
    const third = await ask(c, PARAPHRASE);
    expect(third.headers['x-router-cache']).toBe('semantic');
    expect(third.json().choices[0].message.content).toBe(first.json().choices[0].message.content);
  });

  it("DELETE /admin/v1/cache on A empties every replica's index and the stream; a replica started afterwards loads none", async () => {
    const own = suite.prefix('shared-index-clear');
    const replicaOf = () => suite.runtime(replicaConfig(own));
    const client = new Redis(REDIS_URL);
    try {
      const [a, b] = [await replicaOf(), await replicaOf()];
      expect((await ask(a, TRIP)).headers['x-router-cache']).toBe('miss');
      expect((await ask(b, TRIP, GLOBEX)).headers['x-router-cache']).toBe('miss');
      await waitFor(() =>
        expect([a.gateway.semanticEntries(), b.gateway.semanticEntries()]).toEqual([2, 2]),
      );
      const cleared = await a.app.inject({
        method: 'DELETE',
        url: '/admin/v1/cache',
        headers: { authorization: `Bearer ${OPS}` },
      });
      expect(cleared.statusCode).toBe(200);
      expect(cleared.json()).toEqual({ object: 'cache.cleared', deleted: 2 });
      expect(a.gateway.semanticEntries()).toBe(0);
      await waitFor(() => expect(b.gateway.semanticEntries()).toBe(0));
      // In Redis: the stream holds the clear mark only, no vector, and still expires.
      const key = `${own}semantic:index`;
      const entries = await client.xrangeBuffer(key, '-', '+');
      expect(entries.map(([, flat]) => flat.filter((_, i) => i % 2 === 0).map(String))).toEqual([
        ['cleared'],
      ]);
      expect(await client.pttl(key)).toBeGreaterThan(0);

      // A replica started now loads nothing; the paraphrase is a miss everywhere.
      const c = await replicaOf();
      expect(c.gateway.semanticEntries()).toBe(0);
      expect((await ask(c, PARAPHRASE)).headers['x-router-cache']).toBe('miss');
      // The stream goes on after the mark: C's new entry reaches A and B.
      await waitFor(() =>
        expect([a.gateway.semanticEntries(), b.gateway.semanticEntries()]).toEqual([1, 1]),
      );
      expect((await ask(b, TRIP)).headers['x-router-cache']).toBe('semantic');
    } finally {
      client.disconnect();
    }
  });

  it("a session's deployment remembered on A is followed on B", async () => {
    const [a, b] = [await replica(), await replica()];
    const controls = {
      'foundry-features': 'ModelRouterControls=V1Preview',
    };
    const turn = (rt: Runtime, content: string) =>
      rt.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${ACME}`, ...controls },
        payload: {
          model: 'model-router',
          messages: [{ role: 'user', content }],
          routing_config: { session_affinity: { strategy: 'sticky', session_id: 'sess-shared' } },
        },
      });
    const first = await turn(a, 'Hello, who won the 1998 world cup?');
    expect(first.statusCode).toBe(200);
    const served = first.headers['x-router-deployment'];
    const mode = first.headers['x-router-mode'];
    expect(
      first.json().model_selection_details.model_router_details.session_affinity.decision,
    ).toBe('new_session');
    await waitFor(() => expect(b.affinity.lookup(`acme:${mode}:sess-shared`)).toBe(served));
    const second = await turn(b, 'And who scored in the final?');
    expect(second.headers['x-router-deployment']).toBe(served);
    expect(
      second.json().model_selection_details.model_router_details.session_affinity,
    ).toMatchObject({ decision: 'kept', previous_deployment: served });
  });
});

const hasRedisServer =
  suite.available && (await redisServerUsable('the shared semantic index outage test'));

describe.skipIf(!hasRedisServer)('shared semantic index when Redis goes away', () => {
  it('fails no request while Redis is down, and replicas learn from each other again once it is back', async () => {
    const port = await freePort();
    let server: OwnRedis = await startRedisServer(port);
    // Stopped after the replicas are closed: whichever server runs then.
    suite.cleanup(() => server.stop());
    const config = replicaConfig('outage:', server.url);
    const [a, b] = [await suite.runtime(config), await suite.runtime(config)];
    await ask(a, TRIP);
    await waitFor(() => expect(b.gateway.semanticEntries()).toBe(1));

    await server.stop();
    // Down: the answer cache misses and the index learns nothing, but the request is answered.
    const during = await ask(b, 'Write a haiku about autumn leaves falling on a quiet pond.');
    expect(during.statusCode).toBe(200);
    expect(during.headers['x-router-cache']).toBe('miss');

    server = await startRedisServer(port);
    // Back (an empty Redis): a new answer kept on A reaches B's index again.
    let asked = 0;
    await waitFor(
      async () => {
        const res = await ask(a, `Name three rivers in Portugal, please (${++asked}).`);
        expect(res.statusCode).toBe(200);
        expect(b.gateway.semanticEntries()).toBeGreaterThanOrEqual(3);
      },
      { timeout: 15_000, interval: 200 },
    );
  });
});
