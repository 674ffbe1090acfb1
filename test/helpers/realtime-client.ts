// A Realtime API router and client for tests. startRealtimeRouter: the test config with a realtime
// deployment (or several, and any other settings) added, on a port the system gives, its realtime
// request records kept (and the sessions' own, when asked). openRealtimeClient: the session's
// events kept as they come, parsed (`events`: those not yet taken); `until(type)` waits for the
// next event of `type` and takes the events up to it off the list; `send` sends one event;
// `leave(n)` closes the client and waits until the router has `n` records. Resolves once the
// session is created.
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { ConfigInput } from '../../src/config/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import type { RequestRecord } from '../../src/store/request-record.js';
import { testConfig, testConfigInput } from './test-config.js';
import { waitFor } from './wait-for.js';

type DeploymentInput = ConfigInput['deployments'][number];

export type RealtimeEvent = Record<string, unknown> & { type: string };

/**
 * `deployment` (or several) beside the test config's own (and `extra`), its realtime records put
 * in `records` (and the sessions' own, `realtime.session`, in `sessions`).
 */
export async function startRealtimeRouter(
  records: RequestRecord[],
  deployment: DeploymentInput | DeploymentInput[],
  extra: Partial<ConfigInput> = {},
  sessions?: RequestRecord[],
): Promise<{ rt: Runtime; url: (model: string) => string }> {
  const added = Array.isArray(deployment) ? deployment : [deployment];
  const rt = await createRuntime(
    testConfig({ ...extra, deployments: [...testConfigInput().deployments, ...added] }),
    {
      recorder: {
        record: (r) => {
          if (r.endpoint === 'realtime') records.push(r);
          else if (r.endpoint === 'realtime.session') sessions?.push(r);
        },
      },
    },
  );
  await rt.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (rt.app.server.address() as AddressInfo).port;
  return { rt, url: (model) => `ws://127.0.0.1:${port}/v1/realtime?model=${model}` };
}

/** The record of a session's `n`th response (its request id ends `.rt<n>`). */
export const responseRecord = (records: readonly RequestRecord[], n: number) =>
  records.find((r) => r.requestId.endsWith(`.rt${n}`));

export async function openRealtimeClient(url: string, records?: readonly RequestRecord[]) {
  const ws = new WebSocket(url);
  const events: RealtimeEvent[] = [];
  ws.on('message', (d) => void events.push(JSON.parse(String(d)) as RealtimeEvent));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const until = async (type: string): Promise<RealtimeEvent[]> => {
    await waitFor(() => expect(events.map((e) => e.type)).toContain(type));
    return events.splice(0, events.findIndex((e) => e.type === type) + 1);
  };
  const send = (event: object) => ws.send(JSON.stringify(event));
  const leave = async (n: number) => {
    ws.close();
    await waitFor(() => expect(records).toHaveLength(n));
  };
  await until('session.created');
  return { ws, events, send, until, leave };
}
