// Budget reservations of image, speech and transcription calls (expected-media-cost.ts), through
// the routes, the media gateway and the governance policies, on the in-process state and then the
// real Redis (skipped loudly when absent), with an upstream that holds every call until released:
// image generations running at once are held to a budget together, and every way a call ends
// (served, failed upstream, client gone) gives its reservation back, the spend counter ending at
// exactly what the request log says was spent.
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helpers/build-test-app.js';
import { eventually } from '../../test/helpers/budget-reservations.js';
import {
  gatedMediaAdapter,
  type GatedMediaAdapter,
} from '../../test/helpers/gated-media-adapter.js';
import { listenInRange } from '../../test/helpers/listen-in-range.js';
import { simDeployment, testConfigInput } from '../../test/helpers/test-config.js';
import {
  cleanupPrefix,
  redisAvailable,
  REDIS_URL,
  uniquePrefix,
} from '../../test/redis/redis-helpers.js';
import { parseConfig } from '../config/load-config.js';
import { ConfigHolder, compileConfig } from '../config/runtime-config.js';
import { createManualClock } from '../core/clock.js';
import { GatewayError } from '../core/errors.js';
import { BudgetTracker } from '../policy/budget.js';
import { createGovernancePolicies } from '../policy/governance-policies.js';
import { RateLimiter } from '../policy/rate-limit.js';
import { wavHeader } from '../providers/simulated/simulated-media.js';
import { MemoryState } from '../store/memory/memory-state.js';
import { RedisState } from '../store/redis/redis-state.js';
import type { SharedState } from '../store/shared-state.js';
import { multipart } from '../../test/helpers/multipart-form.js';
import { WAIT_TIMEOUT_MS } from '../../test/helpers/wait-for.js';

const available = await redisAvailable();
const prefixes: string[] = [];
const states: RedisState[] = [];
const apps: TestApp[] = [];
afterEach(async () => {
  for (const t of apps.splice(0)) {
    t.app.server.closeAllConnections();
    await t.app.close();
  }
});
afterAll(async () => {
  for (const s of states) await s.close();
  for (const p of prefixes) await cleanupPrefix(p);
});

type Store = () => Promise<SharedState>;
const memory: Store = async () => new MemoryState(createManualClock());
const redis: Store = async () => {
  const prefix = uniquePrefix('mediaresv');
  prefixes.push(prefix);
  const state = new RedisState({ url: REDIS_URL, prefix, commandTimeoutMs: 1000 });
  states.push(state);
  await state.waitUntilReady(WAIT_TIMEOUT_MS);
  return state;
};

/**
 * The router with an image model ($0.04 an image, $0.08 in hd), a speech model ($15 per 1M
 * characters) and a transcription model ($0.006 a minute), all held by one gated upstream, and
 * the default tenant's budget of `dailyUsd` a day.
 */
async function mediaRouter(store: Store, dailyUsd: number) {
  const media = { maxOutputTokens: undefined, prices: { inputPer1M: 0, outputPer1M: 0 } };
  const config = parseConfig(
    testConfigInput({
      deployments: [
        simDeployment('img', {
          ...media,
          kind: 'images',
          prices: { ...media.prices, perImage: 0.04, perImageBy: { hd: 0.08 } },
        }),
        simDeployment('tts', {
          ...media,
          kind: 'speech',
          prices: { ...media.prices, inputCharsPer1M: 15 },
        }),
        simDeployment('stt', {
          ...media,
          kind: 'transcription',
          prices: { ...media.prices, perAudioMinute: 0.006 },
        }),
      ],
      routers: [],
      budgets: { shiftToCostAt: 0.99, tenants: { default: { dailyUsd } }, tags: {} },
    }),
  ).config;
  const clock = createManualClock();
  const holder = new ConfigHolder(compileConfig(config));
  const state = await store();
  const budgets = new BudgetTracker({ state, clock, budgets: () => holder.current.config.budgets });
  const limiter = new RateLimiter({ state, clock });
  const policies = createGovernancePolicies({ config: holder, limiter, budgets });
  const upstream = gatedMediaAdapter();
  const t = await buildTestApp(
    config,
    { img: upstream, tts: upstream, stt: upstream },
    { policies },
  );
  apps.push(t);
  /** The tenant's daily budget: spent and held, in USD. */
  const budget = async () => {
    const line = (await budgets.budgetState({ tenant: 'default' })).lines.find(
      (l) => l.scope === 'tenant' && l.period === 'day',
    )!;
    return { spent: line.spentUsd, reserved: line.reservedUsd ?? 0 };
  };
  /** Once every call ended: nothing held, and the spend is what the log says (nano-dollars). */
  const settled = async () => {
    const after = await eventually(budget, (b) => b.reserved === 0);
    expect(after.reserved).toBe(0);
    const logged = t.records.reduce((sum, r) => sum + Math.round(r.costUsd * 1e9), 0);
    expect(Math.round(after.spent * 1e9)).toBe(logged);
    return after;
  };
  return { t, upstream, budget, settled };
}

const image = (t: TestApp, extra: object = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/images/generations',
    payload: { model: 'img', prompt: 'a lighthouse at dusk', ...extra },
  });

/** A WAV file of `seconds` of 8 kHz 16-bit mono silence. */
const wav = (seconds: number) =>
  Buffer.concat([wavHeader(seconds * 16_000), Buffer.alloc(seconds * 16_000)]);

/** Sends `path` on a real socket and drops it once the upstream holds the call. */
async function leaveDuring(t: TestApp, upstream: GatedMediaAdapter, path: string, body: object) {
  await listenInRange((port) => t.app.listen({ host: '127.0.0.1', port }), 47_100, 47_124);
  const port = (t.app.server.address() as AddressInfo).port;
  const reached = upstream.reached();
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
  });
  req.on('error', () => {});
  req.end(JSON.stringify(body));
  await reached;
  return () => req.destroy();
}

const stores: [string, boolean, Store][] = [
  ['memory', true, memory],
  ['redis', available, redis],
];

describe.each(stores)('media budget reservations (%s)', (_kind, runs, store) => {
  it.skipIf(!runs)(
    '6 image generations at once on a $0.10 budget at $0.04 an image: 3 run, 3 are refused for now, and the spend ends within one image of the budget',
    async () => {
      const { t, upstream, budget, settled } = await mediaRouter(store, 0.1);
      let answered = 0;
      // Standard quality: $0.04 held for each (with no quality asked, hd's $0.08 would be).
      const pending = Array.from({ length: 6 }, () =>
        image(t, { quality: 'standard' }).then((res) => (answered++, res)),
      );
      // Every one has either reached the held upstream or been answered (refused).
      while (upstream.calls + answered < 6) await new Promise((r) => setTimeout(r, 1));
      expect(upstream.calls).toBe(3);
      expect(await budget()).toEqual({ spent: 0, reserved: expect.closeTo(0.12, 9) });
      upstream.release();
      const replies = await Promise.all(pending);
      const refused = replies.filter((r) => r.statusCode === 429);
      expect(replies.filter((r) => r.statusCode === 200)).toHaveLength(3);
      expect(refused).toHaveLength(3);
      for (const r of refused) {
        expect(r.json().error.code).toBe('budget_exceeded');
        expect(r.headers['retry-after']).toBe('1');
      }
      const after = await settled();
      expect(after.spent).toBeCloseTo(0.12, 9);
      expect(after.spent).toBeLessThanOrEqual(0.1 + 0.04 + 1e-12);
    },
  );

  it.skipIf(!runs)(
    'images reserve n at the dearest price their quality allows (edits and variations too), and give it back when served',
    async () => {
      const { t, upstream, budget, settled } = await mediaRouter(store, 10);
      const reached = upstream.reached();
      // No quality asked: the reply's decides, so hd's $0.08 is held for each of 3 images.
      const generation = image(t, { n: 3 });
      await reached;
      expect((await budget()).reserved).toBeCloseTo(0.24, 9);
      upstream.release();
      expect((await generation).statusCode).toBe(200);
      // The reply names no quality: 3 images at `perImage`, $0.04.
      expect((await settled()).spent).toBeCloseTo(0.12, 9);
      const png = new Blob([Buffer.from('iVBORw0KGgo=', 'base64')], { type: 'image/png' });
      const edit = await multipart(
        { model: 'img', prompt: 'add a boat', n: '2', image: png },
        'a.png',
      );
      expect(
        (await t.app.inject({ method: 'POST', url: '/v1/images/edits', ...edit })).statusCode,
      ).toBe(200);
      const variation = await multipart({ model: 'img', quality: 'hd', image: png }, 'a.png');
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/images/variations',
        ...variation,
      });
      expect(res.statusCode, res.body).toBe(200);
      // 2 edits at $0.04, then one variation asked in hd: $0.08.
      expect((await settled()).spent).toBeCloseTo(0.12 + 0.08 + 0.08, 9);
    },
  );

  it.skipIf(!runs)('an image call that fails upstream gives its reservation back', async () => {
    const { t, upstream, budget, settled } = await mediaRouter(store, 10);
    upstream.failWith = new GatewayError({
      status: 500,
      type: 'server_error',
      message: 'the upstream broke',
    });
    const reached = upstream.reached();
    const pending = image(t, { n: 2, quality: 'hd' });
    await reached;
    expect((await budget()).reserved).toBeCloseTo(0.16, 9);
    upstream.release();
    expect((await pending).statusCode).toBeGreaterThanOrEqual(500);
    expect((await settled()).spent).toBe(0);
  });

  it.skipIf(!runs)('an image call whose client leaves gives its reservation back', async () => {
    const { t, upstream, budget, settled } = await mediaRouter(store, 10);
    const leave = await leaveDuring(t, upstream, '/v1/images/generations', {
      model: 'img',
      prompt: 'a lighthouse',
    });
    expect((await budget()).reserved).toBeCloseTo(0.08, 9);
    leave();
    await eventually(
      async () => t.records.length,
      (n) => n > 0,
    );
    expect(t.records[0]!.status).toBe(499);
    expect(upstream.aborted).toBe(1);
    expect((await settled()).spent).toBe(0);
  });

  it.skipIf(!runs)(
    'speech reserves its characters at the character price, served or left mid-audio',
    async () => {
      const { t, upstream, budget, settled } = await mediaRouter(store, 10);
      // 1,000 characters, one of them above U+FFFF (counted once): $0.015.
      const input = `${'a'.repeat(999)}👋`;
      const leave = await leaveDuring(t, upstream, '/v1/audio/speech', {
        model: 'tts',
        voice: 'alloy',
        input,
      });
      expect((await budget()).reserved).toBeCloseTo(0.015, 9);
      leave();
      await eventually(
        async () => t.records.length,
        (n) => n > 0,
      );
      expect(t.records[0]!.status).toBe(499);
      // The upstream spoke it: charged, as before.
      expect((await settled()).spent).toBeCloseTo(0.015, 9);
      upstream.release();
      const served = await t.app.inject({
        method: 'POST',
        url: '/v1/audio/speech',
        payload: { model: 'tts', voice: 'alloy', input },
      });
      expect(served.statusCode).toBe(200);
      expect((await settled()).spent).toBeCloseTo(0.03, 9);
    },
  );

  it.skipIf(!runs)(
    "a transcription reserves a WAV file's minutes at the minute price; other audio, whose length only the reply tells, nothing",
    async () => {
      const { t, upstream, budget, settled } = await mediaRouter(store, 10);
      const send = async (file: Buffer, name: string, type: string) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/audio/transcriptions',
          ...(await multipart({ model: 'stt', file: new Blob([file], { type }) }, name)),
        });
      let reached = upstream.reached();
      const heard = send(wav(120), 'a.wav', 'audio/wav');
      await reached;
      expect((await budget()).reserved).toBeCloseTo(0.012, 9); // 2 minutes at $0.006
      reached = upstream.reached();
      const mp3 = send(Buffer.from('ID3 not parsed here'), 'b.mp3', 'audio/mpeg');
      await reached;
      expect((await budget()).reserved).toBeCloseTo(0.012, 9);
      upstream.release();
      expect((await heard).statusCode).toBe(200);
      expect((await mp3).statusCode).toBe(200);
      // The WAV's length from its header; the mp3's is unknown: it costs nothing.
      expect((await settled()).spent).toBeCloseTo(0.012, 9);
    },
  );
});
