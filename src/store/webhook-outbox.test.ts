// The webhook outbox contract (webhook-outbox.ts) on every backend (memory, SQLite file and
// :memory:, real PostgreSQL; test/helpers/batch-store-backends.ts): deliveries written with a
// batch's final status and only by its lease holder, claims as leases (due again only when the
// lease ends, atomic across replicas), attempts ended by their holder only, retries due later,
// the operators' listing and retry, and the retention sweep.
import { expect, it } from 'vitest';
import { LEASE, T0, batch, forEachBackend, ids } from '../../test/helpers/batch-store-backends.js';
import type { NewWebhookDelivery } from './webhook-outbox.js';

const delivery = (id: string, extra: Partial<NewWebhookDelivery> = {}): NewWebhookDelivery => ({
  id,
  eventId: `evt_${id}`,
  event: 'batch.completed',
  batchId: 'batch_1',
  owner: 'team-a',
  target: 'target-a',
  host: 'hooks.example.com',
  body: JSON.stringify({ id: `evt_${id}`, s: 'a"b\\c☃' }),
  createdAt: T0,
  ...extra,
});

forEachBackend('WebhookOutbox contract', (within) => {
  it("deliveries come with the batch's final status, from its lease holder only, once each", () =>
    within(async ({ store, replica }) => {
      await store.createBatch(batch('batch_1'));
      await store.claimBatch('w1', T0, T0 + LEASE, []);
      const other = replica();
      // Not the lease holder: neither the status nor the deliveries are written.
      expect(await other.updateBatch('batch_1', 'w2', 'completed', '{}', [delivery('d0')])).toBe(
        false,
      );
      expect(await other.listWebhookDeliveries({ limit: 10 })).toEqual([]);
      const list = [delivery('d1'), delivery('d2', { target: 'target-b', host: 'b.example' })];
      expect(await store.updateBatch('batch_1', 'w1', 'completed', '{"done":1}', list)).toBe(true);
      // Written again (a finish run twice): the same deliveries, not new ones.
      expect(await store.updateBatch('batch_1', 'w1', 'completed', '{"done":2}', list)).toBe(true);
      await other.addWebhookDeliveries([delivery('d1', { body: 'other' })]);
      const shown = await other.listWebhookDeliveries({ limit: 10 });
      expect(shown).toStrictEqual(
        [list[1]!, list[0]!].map((d) => ({
          ...d,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: T0,
        })),
      );
      expect((await other.getBatch('batch_1', 'team-a'))?.status).toBe('completed');
    }));

  it('a claim is a lease: not due again until it ends; only its holder ends the attempt', () =>
    within(async ({ store, replica }) => {
      const other = replica();
      await store.addWebhookDeliveries([
        delivery('d_late', { createdAt: T0 + 5 }),
        delivery('d_first', { createdAt: T0 }),
      ]);
      expect(await store.claimWebhookDelivery('w1', T0 - 1, T0 + 100)).toBeUndefined();
      const claimed = await store.claimWebhookDelivery('w1', T0 + 10, T0 + 100);
      expect(claimed).toStrictEqual({
        ...delivery('d_first'),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: T0 + 100,
      });
      expect((await other.claimWebhookDelivery('w2', T0 + 10, T0 + 100))?.id).toBe('d_late');
      expect(await other.claimWebhookDelivery('w2', T0 + 99, T0 + 200)).toBeUndefined();
      // w1's lease ran out (it died mid-attempt): w2 takes the delivery; w1 can no longer end it.
      expect((await other.claimWebhookDelivery('w2', T0 + 100, T0 + 200))?.id).toBe('d_first');
      expect(await store.endWebhookAttempt('d_first', 'w1', { status: 'delivered', at: 1 })).toBe(
        false,
      );
      const retry = {
        status: 'pending',
        at: T0 + 150,
        nextAttemptAt: T0 + 1000,
        error: 'HTTP 503',
      } as const;
      expect(await other.endWebhookAttempt('d_first', 'w2', retry)).toBe(true);
      // Ended: nobody holds it now, not even w2.
      expect(await other.endWebhookAttempt('d_first', 'w2', { status: 'delivered', at: 2 })).toBe(
        false,
      );
      // d_late's lease ran out too; d_first is not due before its next attempt.
      expect((await store.claimWebhookDelivery('w1', T0 + 999, T0 + 2000))?.id).toBe('d_late');
      expect(await store.claimWebhookDelivery('w1', T0 + 999, T0 + 2000)).toBeUndefined();
      const again = await store.claimWebhookDelivery('w1', T0 + 1000, T0 + 2000);
      expect(again).toMatchObject({ id: 'd_first', attempts: 1, lastError: 'HTTP 503' });
      expect(
        await store.endWebhookAttempt('d_first', 'w1', { status: 'delivered', at: T0 + 1001 }),
      ).toBe(true);
      const [late, first] = await other.listWebhookDeliveries({ limit: 10 });
      expect(first).toStrictEqual({
        ...delivery('d_first'),
        status: 'delivered',
        attempts: 2,
        finishedAt: T0 + 1001,
      });
      expect(late).toMatchObject({ id: 'd_late', status: 'pending', nextAttemptAt: T0 + 2000 });
      // Delivered: never claimed again.
      expect(await store.claimWebhookDelivery('w3', T0 + 10_000, T0 + 20_000)).toMatchObject({
        id: 'd_late',
      });
      expect(await store.claimWebhookDelivery('w3', T0 + 10_000, T0 + 20_000)).toBeUndefined();
    }));

  it('given up: counted when a POST was made, never claimed again, until an operator retries', () =>
    within(async ({ store, replica }) => {
      await store.addWebhookDeliveries([delivery('d_sent'), delivery('d_unsent')]);
      for (const [id, sent] of [
        ['d_sent', true],
        ['d_unsent', false],
      ] as const) {
        expect((await store.claimWebhookDelivery('w1', T0, T0 + 100))?.id).toBe(id);
        const end = { status: 'failed', at: T0 + 1, error: `why ${id}`, sent } as const;
        expect(await store.endWebhookAttempt(id, 'w1', end)).toBe(true);
      }
      expect(await store.claimWebhookDelivery('w1', T0 + 10 ** 9, T0 + 10 ** 9)).toBeUndefined();
      const other = replica();
      const failed = await other.listWebhookDeliveries({ status: 'failed', limit: 10 });
      expect(failed.map((d) => [d.id, d.attempts, d.lastError, d.finishedAt])).toEqual([
        ['d_unsent', 0, 'why d_unsent', T0 + 1],
        ['d_sent', 1, 'why d_sent', T0 + 1],
      ]);
      const retried = await other.retryWebhookDelivery('d_sent', T0 + 50);
      expect(retried).toStrictEqual({
        ...delivery('d_sent'),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: T0 + 50,
        lastError: 'why d_sent',
      });
      // Pending (or delivered) stays as it is; an unknown id is undefined.
      expect(await other.retryWebhookDelivery('d_sent', T0 + 99)).toStrictEqual(retried);
      expect(await other.retryWebhookDelivery('d_none', T0)).toBeUndefined();
      expect((await store.claimWebhookDelivery('w2', T0 + 50, T0 + 100))?.id).toBe('d_sent');
    }));

  it('listing: newest first, by status and batch, paged with after and limit', () =>
    within(async ({ store, replica }) => {
      await store.addWebhookDeliveries([
        delivery('d_a', { createdAt: T0 + 1 }),
        delivery('d_b', { createdAt: T0 + 1, batchId: 'batch_2' }),
        delivery('d_c', { createdAt: T0 + 3 }),
        delivery('d_d', { createdAt: T0 }),
      ]);
      await store.claimWebhookDelivery('w1', T0, T0 + 10); // d_d
      await store.endWebhookAttempt('d_d', 'w1', { status: 'delivered', at: T0 + 2 });
      const other = replica();
      const list = (q: Parameters<typeof other.listWebhookDeliveries>[0]) =>
        other.listWebhookDeliveries(q).then(ids);
      expect(await list({ limit: 10 })).toEqual(['d_c', 'd_b', 'd_a', 'd_d']);
      expect(await list({ limit: 10, status: 'pending' })).toEqual(['d_c', 'd_b', 'd_a']);
      expect(await list({ limit: 10, status: 'delivered' })).toEqual(['d_d']);
      expect(await list({ limit: 10, status: 'failed' })).toEqual([]);
      expect(await list({ limit: 10, batchId: 'batch_2' })).toEqual(['d_b']);
      expect(await list({ limit: 2 })).toEqual(['d_c', 'd_b']);
      expect(await list({ limit: 2, after: 'd_b' })).toEqual(['d_a', 'd_d']);
      expect(await list({ limit: 2, after: 'd_a', status: 'pending' })).toEqual([]);
      expect(await list({ limit: 2, after: 'd_unknown' })).toEqual([]);
    }));

  it('claims are atomic: two replicas claiming at once never get the same delivery', () =>
    within(async ({ store, replica }) => {
      const other = replica();
      for (let round = 0; round < 5; round++) {
        const now = T0 + 1000 * (round + 1);
        const all = Array.from(
          { length: 12 },
          (_, i) => `d_${round}_${String(i).padStart(2, '0')}`,
        );
        await store.addWebhookDeliveries(all.map((id, i) => delivery(id, { createdAt: now + i })));
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? other : store)
              .claimWebhookDelivery(`w${i % 2}`, now + 20, now + LEASE)
              .then((d) => d && { id: d.id, worker: `w${i % 2}` }),
          ),
        );
        const won = claims.filter((c) => c !== undefined);
        expect(won.map((c) => c.id).sort()).toEqual(all);
        // Each winner holds what it was given.
        for (const c of won)
          expect(
            await store.endWebhookAttempt(c.id, c.worker, { status: 'delivered', at: now + 30 }),
          ).toBe(true);
      }
    }));

  it('the sweep deletes delivered and given-up deliveries finished by the cutoff, oldest first', () =>
    within(async ({ store, replica }) => {
      const list = ['d_1', 'd_2', 'd_3', 'd_4', 'd_pending'].map((id) => delivery(id));
      await store.addWebhookDeliveries(list);
      const end = async (id: string, at: number, failed = false) => {
        expect((await store.claimWebhookDelivery('w', T0, T0 + 10))?.id).toBe(id);
        const how = failed
          ? ({ status: 'failed', at, error: 'x', sent: true } as const)
          : ({ status: 'delivered', at } as const);
        expect(await store.endWebhookAttempt(id, 'w', how)).toBe(true);
      };
      await end('d_1', T0 + 30);
      await end('d_2', T0 + 10, true);
      await end('d_3', T0 + 20);
      await end('d_4', T0 + 500);
      const other = replica();
      expect(await other.deleteWebhookDeliveries({ finishedBy: T0 + 30, limit: 2 })).toBe(2);
      expect(ids(await other.listWebhookDeliveries({ limit: 10 })).sort()).toEqual([
        'd_1',
        'd_4',
        'd_pending',
      ]);
      expect(await other.deleteWebhookDeliveries({ finishedBy: T0 + 10 ** 9, limit: 10 })).toBe(2);
      expect(ids(await other.listWebhookDeliveries({ limit: 10 }))).toEqual(['d_pending']);
    }));

  it('counts by state: an attempt under way is delivering until its lease runs out', () =>
    within(async ({ store, replica }) => {
      const other = replica();
      const none = { pending: 0, delivering: 0, delivered: 0, failed: 0 };
      expect(await other.countWebhookDeliveries(T0)).toEqual(none);
      await store.addWebhookDeliveries(
        ['d_1', 'd_2', 'd_3', 'd_4', 'd_5'].map((id) => delivery(id)),
      );
      const claim = async (id: string) =>
        expect((await store.claimWebhookDelivery('w', T0, T0 + 100))?.id).toBe(id);
      await claim('d_1');
      await store.endWebhookAttempt('d_1', 'w', { status: 'delivered', at: T0 + 1 });
      await claim('d_2');
      await store.endWebhookAttempt('d_2', 'w', {
        status: 'failed',
        at: T0 + 1,
        error: 'x',
        sent: true,
      });
      await claim('d_3');
      await store.endWebhookAttempt('d_3', 'w', {
        status: 'pending',
        at: T0 + 1,
        nextAttemptAt: T0 + 5_000,
        error: 'HTTP 503',
      });
      await claim('d_4'); // under way, its lease until T0 + 100
      expect(await other.countWebhookDeliveries(T0 + 50)).toEqual({
        pending: 2,
        delivering: 1,
        delivered: 1,
        failed: 1,
      });
      // Its replica died mid-attempt: once the lease has run out it is pending (due) again.
      expect(await other.countWebhookDeliveries(T0 + 100)).toEqual({
        pending: 3,
        delivering: 0,
        delivered: 1,
        failed: 1,
      });
    }));
});
