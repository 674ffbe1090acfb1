// A successful upstream reply too large to read (`deployments[].maxReplyBytes`) through the whole
// router against the loopback fake (real HTTP, OpenAI-compatible, Azure and Anthropic upstreams):
// it is an upstream failure that fails over, or, with no candidate left, a 502 in the caller's
// API shape; it is dropped unread (the fake sees the router hang up), whether the upstream
// declared its length or streamed it chunked, and the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { FAULT_APIS, startFaultRouter } from '../helpers/fault-router.js';
import {
  faultDeployment,
  startFaultUpstream,
  type FaultProvider,
  type FaultUpstream,
} from '../helpers/fault-upstream.js';

let up: FaultUpstream;
beforeAll(async () => {
  up = await startFaultUpstream(19200, 19219);
});
afterAll(() => up?.close());

/** The limit the deployments are given: far below the fake's large replies, above its answer. */
const LIMIT = 8 * 1024;

function startRouter(provider: FaultProvider) {
  return startFaultRouter(
    {
      deployments: [
        { ...faultDeployment(up, 'big', provider, 0.1), maxReplyBytes: LIMIT },
        { ...faultDeployment(up, 'spare', 'openai-compatible', 1), maxReplyBytes: LIMIT },
      ] as ConfigInput['deployments'],
      routers: [{ name: 'model-router', modelSubset: ['big', 'spare'] }],
    },
    { tmpPrefix: 'mr-reply-limit-' },
  );
}

const APIS = FAULT_APIS.map((a) => ({ name: a.name, url: a.url, body: a.body(false) }));

describe.each(['openai-compatible', 'azure', 'anthropic'] as const)(
  'the picked deployment is %s',
  (provider) => {
    it.each([true, false])(
      'a reply past maxReplyBytes (length declared: %s) fails over unread, then 502s in each API’s shape',
      async (declareLength) => {
        const { rt, records } = await startRouter(provider);
        try {
          // Under the limit, the picked deployment serves as ever.
          up.fault('big', { kind: 'large-body', bytes: LIMIT / 2, declareLength });
          const small = await rt.app.inject({
            method: 'POST',
            ...APIS[0]!,
            payload: APIS[0]!.body,
          });
          expect(small.statusCode, small.payload).toBe(200);
          expect(small.headers['x-router-deployment']).toBe('big');

          up.fault('big', { kind: 'large-body', bytes: 4 * 1024 * 1024, declareLength });
          const cutBefore = up.cutShort;
          for (const api of APIS) {
            const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
            expect(res.statusCode, `${api.name}: ${res.payload}`).toBe(200);
            expect(res.headers['x-router-deployment'], api.name).toBe('spare');
            const record = records.at(-1)!;
            expect(
              record.attempts.map((a) => [a.deployment, a.outcome, a.errorCode]),
              api.name,
            ).toEqual([
              ['big', 'error', 'upstream_reply_too_large'],
              ['spare', 'ok', undefined],
            ]);
          }
          // Every one of them was dropped before the fake could write it whole.
          await expect.poll(() => up.cutShort - cutBefore).toBe(APIS.length);

          // Nothing left to fail over to: a 502 that says why, in the caller's shape.
          up.fault('spare', { kind: 'large-body', bytes: 4 * 1024 * 1024, declareLength });
          for (const api of APIS) {
            const res = await rt.app.inject({ method: 'POST', url: api.url, payload: api.body });
            expect(res.statusCode, api.name).toBe(502);
            const body = res.json();
            if (api.name === 'messages') {
              expect(body.type).toBe('error');
              expect(body.error.type).toBe('api_error');
              expect(body.error.message).toMatch(/maxReplyBytes/);
            } else if (api.name === 'responses') {
              expect(body.error.code).toBe('upstream_reply_too_large');
            } else {
              expect(body.error.code, api.name).toBe('upstream_reply_too_large');
              expect(body.error.message).toMatch(/maxReplyBytes \(8192 bytes\)/);
            }
          }
          up.fault('big', undefined);
          up.fault('spare', undefined);
          const after = await rt.app.inject({
            method: 'POST',
            ...APIS[0]!,
            payload: APIS[0]!.body,
          });
          expect(after.statusCode).toBe(200);
        } finally {
          up.fault('big', undefined);
          up.fault('spare', undefined);
          await rt.close();
        }
      },
    );
  },
);
