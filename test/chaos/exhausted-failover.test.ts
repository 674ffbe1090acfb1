// What a client is told when every deployment called failed, in different ways, through the whole
// router against the loopback fake (real HTTP; OpenAI-compatible, Azure and Anthropic upstreams),
// on Chat Completions, Azure's path, Messages and Responses. Not the last failure's status (an
// accident of the order): a 429 with the soonest retry-after when some deployment was only
// rate-limited (retrying will be served), else a 502 `all_deployments_failed` naming each failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { FAULT_APIS, startFaultRouter } from '../helpers/fault-router.js';
import {
  deadlinesEnding,
  faultDeployment,
  startFaultUpstream,
  type Fault,
  type FaultUpstream,
} from '../helpers/fault-upstream.js';

let up: FaultUpstream;
beforeAll(async () => {
  up = await startFaultUpstream(19220, 19239);
});
afterAll(() => up?.close());

/**
 * Cheapest first, so tried in this order: OpenAI-compatible, Azure, Anthropic; `ex-b` with the
 * deadlines that end `exBFault` (the others answer, and keep the long defaults).
 */
function startRouter(exBFault?: Fault) {
  return startFaultRouter(
    {
      deployments: [
        faultDeployment(up, 'ex-a', 'openai-compatible', 0.1),
        faultDeployment(up, 'ex-b', 'azure', 0.2, deadlinesEnding(exBFault)),
        faultDeployment(up, 'ex-c', 'anthropic', 0.3),
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['ex-a', 'ex-b', 'ex-c'] }],
    },
    { tmpPrefix: 'mr-exhausted-' },
  );
}

const APIS = FAULT_APIS.map((a) => ({
  name: a.name,
  url: a.url,
  body: a.body(a.name === 'azure'),
}));

/** A reply's JSON, read loosely. */
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The error's type and code in the API's own envelope (Anthropic's has no code). */
function errorOf(api: string, body: Obj): { type: string; code?: string } {
  if (api === 'messages') {
    expect(body.type).toBe('error');
    return { type: body.error.type };
  }
  return { type: body.error.type, code: body.error.code };
}

describe.each(APIS)('every deployment failed, through $name', (api) => {
  it('some only rate-limited among 5xx: 429 with the soonest retry-after, each failure named', async () => {
    const { rt, records } = await startRouter();
    up.fault('ex-a', { kind: 'status', status: 429, headers: { 'retry-after': '9' } });
    up.fault('ex-b', { kind: 'status', status: 429, headers: { 'retry-after-ms': '4000' } });
    // The last one called says 503: its status is not what the client needs to know.
    up.fault('ex-c', { kind: 'status', status: 503 });
    try {
      const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
      expect(res.statusCode, res.payload).toBe(429);
      expect(res.headers['retry-after']).toBe('4');
      expect(res.headers['retry-after-ms']).toBeUndefined();
      expect(res.headers['x-router-attempts']).toBe('3');
      expect(errorOf(api.name, res.json()).type).toBe('rate_limit_error');
      const message: string = res.json().error.message;
      expect(message).toMatch(/ex-a \(429 .*ex-b \(429 .*ex-c \(503 /);
      expect(message).toMatch(/Only rate-limited: ex-a, ex-b; retry in 4 s/);
      const record = records.at(-1)!;
      expect(record.status).toBe(429);
      expect(record.attempts.map((a) => a.httpStatus)).toEqual([429, 429, 503]);
    } finally {
      for (const d of ['ex-a', 'ex-b', 'ex-c']) up.fault(d, undefined);
      await rt.close();
    }
  });

  it('5xx and timeouts only, disagreeing: 502 all_deployments_failed in the API’s shape', async () => {
    const silent: Fault = { kind: 'no-first-byte' };
    const { rt, records } = await startRouter(silent);
    up.fault('ex-a', { kind: 'status', status: 503 });
    up.fault('ex-b', silent);
    up.fault('ex-c', { kind: 'status', status: 500 });
    try {
      const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
      expect(res.statusCode, res.payload).toBe(502);
      expect(res.headers['x-router-attempts']).toBe('3');
      expect(errorOf(api.name, res.json())).toEqual(
        api.name === 'messages'
          ? { type: 'api_error' }
          : { type: 'server_error', code: 'all_deployments_failed' },
      );
      expect(res.json().error.message).toMatch(/ex-a \(503 .*ex-b \(504 .*ex-c \(500 /);
      expect(records.at(-1)!.status).toBe(502);
    } finally {
      for (const d of ['ex-a', 'ex-b', 'ex-c']) up.fault(d, undefined);
      await rt.close();
    }
  });

  it('every failure the same status: that status and error, as before', async () => {
    const { rt } = await startRouter();
    for (const d of ['ex-a', 'ex-b', 'ex-c']) up.fault(d, { kind: 'status', status: 503 });
    try {
      const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
      expect(res.statusCode, res.payload).toBe(503);
      expect(res.json().error.message).toMatch(/^All 3 attempts failed; last error from ex-c/);
    } finally {
      for (const d of ['ex-a', 'ex-b', 'ex-c']) up.fault(d, undefined);
      await rt.close();
    }
  });
});
