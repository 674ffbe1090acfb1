// Admin changes made through two replicas on the real Redis: each is built on the newest version
// under the fleet's config lock, so one made through replica B right after (or at the same time
// as) one through replica A keeps A's instead of writing back what B had before A's arrived, and
// both replicas end on the newest revision. Until 2026-12-06 a PATCH of one router through B
// could undo A's change to another (recorded as B's), and two at once left the replicas on
// different revisions (audit).
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { redisSuite } from './redis-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const suite = await redisSuite();
const prefix = suite.prefix('cfg-change-race');
const ADMIN = 'mr-cfg-race-admin-0123456789';

/** A replica with two routers, kept for the file: the second test uses the first's two. */
const replica = () =>
  suite.replica(prefix, {
    adminKey: ADMIN,
    lasting: 'file',
    edit: (input) => {
      input.routers = [
        { name: 'r1', modelSubset: ['big', 'mid', 'small'] },
        { name: 'r2', modelSubset: ['big', 'mid', 'small'] },
      ];
    },
  });

describe.skipIf(!suite.available)('admin changes through two replicas (real Redis)', () => {
  const runtimes: Runtime[] = [];

  const patch = (r: Runtime, router: string, payload: object) =>
    r.app.inject({
      method: 'PATCH',
      url: `/admin/v1/routers/${router}`,
      payload,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
  const rpmOf = (r: Runtime, router: string) =>
    r.config.current.config.routers.find((x) => x.name === router)!.rateLimit?.rpm;

  it('keeps every change, sequential or at once, and both replicas end on the newest revision', async () => {
    const a = await replica();
    const b = await replica();
    runtimes.push(a, b);
    for (let round = 1; round <= 10; round++) {
      // One after the other, through different replicas, with no pause between them.
      const first = await patch(a, 'r1', { rateLimit: { rpm: 100 + round } });
      const second = await patch(b, 'r2', { rateLimit: { rpm: 200 + round } });
      expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
      // At the same time.
      const both = await Promise.all([
        patch(a, 'r1', { rateLimit: { rpm: 300 + round } }),
        patch(b, 'r2', { rateLimit: { rpm: 400 + round } }),
      ]);
      expect(both.map((x) => x.statusCode)).toEqual([200, 200]);
      const newest = Math.max(...both.map((x) => x.json().config_revision as number));
      await waitFor(() => {
        for (const r of [a, b]) {
          expect(r.config.current.revision).toBe(newest);
          expect([rpmOf(r, 'r1'), rpmOf(r, 'r2')]).toEqual([300 + round, 400 + round]);
        }
      });
    }
  }, 60_000);

  it('If-Match across replicas: of two admins who read the same ETag, through A and B at once, exactly one applies; the other gets a 412', async () => {
    const [a, b] = runtimes;
    const auth = { authorization: `Bearer ${ADMIN}` };
    for (let round = 1; round <= 5; round++) {
      const tag = String(
        (await a!.app.inject({ url: '/admin/v1/routers/r1', headers: auth })).headers.etag,
      );
      const send = (r: Runtime, rpm: number) =>
        r.app.inject({
          method: 'PATCH',
          url: '/admin/v1/routers/r1',
          payload: { rateLimit: { rpm } },
          headers: { ...auth, 'if-match': tag },
        });
      const both = await Promise.all([send(a!, 500 + round), send(b!, 600 + round)]);
      expect(both.map((x) => x.statusCode).sort()).toEqual([200, 412]);
      const won = both.find((x) => x.statusCode === 200)!;
      const lost = both.find((x) => x.statusCode === 412)!;
      expect(lost.headers.etag).toBe(won.headers.etag);
      const rpm = won.json().rateLimit.rpm as number;
      await waitFor(() => {
        for (const r of [a!, b!]) expect(rpmOf(r, 'r1')).toBe(rpm);
      });
    }
  }, 60_000);
});
